public import FerryCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// PostgreSQL as a change source: logical replication through a `pgoutput` slot and a publication.
///
/// Protocol version 1 with no streaming: each transaction arrives whole at its commit and rolled-back ones never
/// do. Values travel in binary send form when every column of the stream's tables has one Ferry reads
/// (`binaryValues`, on by default, PostgreSQL 14 and later), else in text form; either way they are converted to
/// exactly what the snapshot reader produces for the same rows. Needs `wal_level = logical`, a role with REPLICATION, and tables with a primary key or
/// REPLICA IDENTITY FULL; `checkReadiness` says what is missing.
///
/// Methods block the calling thread; each opens its own connections.
public struct PostgresChangeSource: ChangeSource {
    public let config: PostgresConnectionConfig
    public let slotName: String
    public let publicationName: String

    /// Whether streams ask for binary values when every column allows it (`binaryValuesAreReadable`). Binary
    /// spares the server its output functions and Ferry the parsing; turning it off is for comparisons and tests.
    public var binaryValues = true

    /// - Parameters:
    ///   - config: The database; its role needs REPLICATION (or superuser).
    ///   - slotName: The pipeline's replication slot (lower-case letters, digits and underscores).
    ///   - publicationName: The publication listing the pipeline's tables; created by `preparePublication`.
    public init(config: PostgresConnectionConfig, slotName: String, publicationName: String) {
        self.config = config
        self.slotName = slotName
        self.publicationName = publicationName
    }

    var endpoint: String { config.redactedDescription }

    /// A normal connection, for catalog queries.
    func connect() throws(FerryError) -> PGConnection {
        try PGConnection(config: config)
    }

    /// A `replication=database` connection; a role without REPLICATION gets the statement that fixes it.
    func connectForReplication() throws(FerryError) -> ReplicationConnection {
        do throws(FerryError) {
            return try ReplicationConnection(config: config)
        } catch let error where error.message.contains("replication role") {
            throw ReplicationErrors.notReplicationRole(config.user, endpoint: endpoint)
        }
    }

    // MARK: Slot

    public func systemIdentifier() throws(FerryError) -> String {
        let conn = try connectForReplication()
        defer { conn.close() }
        let rows = try conn.command("IDENTIFY_SYSTEM", context: "identifying the source server")
        guard let id = rows.rows.first?.first ?? nil, !id.isEmpty else {
            throw FerryError(.database, "IDENTIFY_SYSTEM on \(endpoint) returned no system identifier")
        }
        return id
    }

    public func slotState() throws(FerryError) -> SlotState? {
        let conn = try connect()
        defer { conn.close() }
        let context = "reading the state of replication slot \(slotName)"
        let version = Int(try conn.exec("SHOW server_version_num", context: context).scalar ?? "") ?? 0
        let walStatus = version >= 130_000 ? "wal_status" : "NULL::text"
        let invalidation = version >= 170_000 ? "invalidation_reason" : "NULL::text"
        let rows = try conn.execParams(
            """
            SELECT active, confirmed_flush_lsn::text, restart_lsn::text, pg_current_wal_lsn()::text, \(walStatus),
                   COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint, \(invalidation)
            FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
            """, [slotName], context: context)
        guard let row = rows.rows.first, row.count == 7 else { return nil }
        guard let current = row[3].flatMap({ LSN($0) }) else {
            throw FerryError(.database, "\(context) failed: the server reported no current WAL position")
        }
        return SlotState(
            name: slotName, active: row[0] == "t", confirmedFlush: row[1].flatMap { LSN($0) },
            restartLSN: row[2].flatMap { LSN($0) }, currentLSN: current, walStatus: row[4],
            retainedBytes: row[5].flatMap { Int64($0) } ?? 0, invalidated: row[4] == "lost" || row[6] != nil)
    }

    /// The insert position: with asynchronous commit, `pg_current_wal_lsn()` (the write position) can still be
    /// before transactions that already committed.
    public func currentLSN() throws(FerryError) -> LSN {
        let conn = try connect()
        defer { conn.close() }
        let context = "reading the current WAL position"
        guard
            let lsn = try conn.exec("SELECT pg_current_wal_insert_lsn()::text", context: context).scalar.flatMap({
                LSN($0)
            })
        else { throw FerryError(.database, "\(context) failed: the server returned no position") }
        return lsn
    }

    public func createSlot(temporary: Bool) throws(FerryError) -> any SlotSnapshot {
        try ReplicationErrors.checkSlotName(slotName)
        let name = temporary ? Self.temporaryName(for: slotName) : slotName
        let conn = try connectForReplication()
        let context = "creating replication slot \(name)"
        do throws(FerryError) {
            let options = conn.serverVersion >= 150_000 ? "(SNAPSHOT 'export')" : "EXPORT_SNAPSHOT"
            let rows = try conn.command(
                "CREATE_REPLICATION_SLOT \(PostgresSQL.quoteIdent(name))\(temporary ? " TEMPORARY" : "") LOGICAL "
                    + "pgoutput \(options)", context: context)
            guard let row = rows.rows.first, row.count >= 3, let point = row[1].flatMap({ LSN($0) }),
                let snapshot = row[2]
            else {
                throw FerryError(.database, "\(context) failed: the server returned no snapshot")
            }
            return PostgresSlotSnapshot(
                conn: conn, config: config, slotName: name, temporary: temporary, consistentPoint: point,
                snapshotName: snapshot)
        } catch {
            conn.close()
            if error.sqlState == "42710" {
                throw FerryError(
                    .config,
                    "replication slot \(name) already exists on \(endpoint): another pipeline uses this slot name, or "
                        + "an earlier setup was interrupted; \(ReplicationErrors.resynchronise)",
                    sqlState: error.sqlState)
            }
            throw error
        }
    }

    /// `<slot>_tmp_<pid>_<random>`, cut to the 63-byte limit: unique among concurrent processes and loads.
    static func temporaryName(for slot: String) -> String {
        let suffix = "_tmp_\(getpid())_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(slot.prefix(63 - suffix.utf8.count)) + suffix
    }

    public func describe(_ table: TableName) throws(FerryError) -> TableSchema {
        let reader = try PostgresSource.openReader(table, config: config, snapshot: nil, streamedColumnsOnly: true)
        defer { reader.close() }
        return reader.schema
    }

    // MARK: Stream

    public func openStream(from start: LSN, keys: [TableName: [String]]) throws(FerryError) -> any ChangeStream {
        try ReplicationErrors.checkSlotName(slotName)
        let binary = binaryValues && binaryValuesAreReadable(Array(keys.keys))
        let conn = try connectForReplication()
        // publication_names is a string literal holding a list of (quoted) identifiers.
        let names = PostgresSQL.quoteIdent(publicationName).replacingOccurrences(of: "'", with: "''")
        let sql =
            "START_REPLICATION SLOT \(PostgresSQL.quoteIdent(slotName)) LOGICAL \(start) "
            + "(proto_version '1', publication_names '\(names)'\(binary ? ", binary 'true'" : ""))"
        do throws(FerryError) {
            try conn.startStreaming(sql, context: "starting replication from slot \(slotName)")
        } catch {
            conn.close()
            throw ReplicationErrors.startFailed(error, slot: slotName, publication: publicationName)
        }
        return PostgresChangeStream(
            conn: conn, catalog: PostgresRelationCatalog(config: config), keys: keys, slot: slotName,
            publication: publicationName)
    }

    /// Whether the stream may ask for values in binary form (PostgreSQL 14 and later): only when every column of
    /// `tables` has a type Ferry reads natively, since a type read as text (`col::text` in the snapshot) has a
    /// binary form Ferry does not know. Binary values spare the server its output functions and Ferry the
    /// parsing. When the check cannot run, the stream sends text, which always works.
    func binaryValuesAreReadable(_ tables: [TableName]) -> Bool {
        guard !tables.isEmpty, let conn = try? connect() else { return false }
        defer { conn.close() }
        let context = "checking the column types of the replicated tables"
        guard
            let version = try? conn.execParams(
                "SELECT current_setting('server_version_num')::int", [], context: context),
            let text = version.rows.first?.first ?? nil, let number = Int(text), number >= 140_000,
            let columns = try? conn.execParams(
                """
                SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,
                       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, a.attndims
                FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = ANY($1::regclass[]) AND a.attnum > 0 AND NOT a.attisdropped
                """, [PostgresRelationCatalog.arrayLiteral(tables.map(PostgresSQL.qualifiedName))], context: context),
            !columns.rows.isEmpty
        else { return false }
        var resolver = PostgresTypeResolver(conn: conn, table: tables.map(\.description).joined(separator: ", "))
        for row in columns.rows {
            guard row.count == 3, let oid = row[0].flatMap({ UInt32($0) }), let typmod = row[1].flatMap({ Int32($0) }),
                let resolved = try? resolver.resolve(
                    oid: oid, typmod: typmod, dimensions: row[2].flatMap { Int32($0) } ?? 0),
                resolved.form.binaryReadable
            else { return false }
        }
        return true
    }

    // MARK: Cleanup

    public func dropSlotAndPublication() throws(FerryError) {
        let conn = try connect()
        defer { conn.close() }
        let context = "dropping replication slot \(slotName)"
        let rows = try conn.execParams(
            """
            SELECT active, active_pid, database, database IS NOT DISTINCT FROM current_database()
            FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
            """, [slotName], context: context)
        if let row = rows.rows.first, row.count == 4 {
            guard row[3] == "t" else {
                throw FerryError(
                    .config,
                    "replication slot \(slotName) belongs to database \(row[2] ?? "?"), not to this pipeline's; "
                        + "it was left in place")
            }
            if row[0] == "t" { throw slotInUse(pid: row[1]) }
            do throws(FerryError) {
                try conn.execParams("SELECT pg_catalog.pg_drop_replication_slot($1)", [slotName], context: context)
            } catch let error where error.sqlState == "55006" {
                throw slotInUse(pid: ReplicationErrors.activePID(in: error.message).map(String.init))
            } catch let error where error.sqlState == "42704" {
                // Dropped meanwhile: what was asked for.
            }
        }
        try conn.exec(
            "DROP PUBLICATION IF EXISTS \(PostgresSQL.quoteIdent(publicationName))",
            context: "dropping publication \(publicationName)")
    }

    private func slotInUse(pid: String?) -> FerryError {
        let who = pid.map { "process \($0)" } ?? "another process"
        let terminate = pid.map { " (or end it with SELECT pg_terminate_backend(\($0));)" } ?? ""
        return FerryError(
            .config,
            "replication slot \(slotName) is in use by \(who); stop the `ferry run` streaming from it first"
                + terminate)
    }
}
