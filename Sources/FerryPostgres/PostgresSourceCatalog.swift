public import FerryCore
import Foundation

/// The tables of a PostgreSQL database, for `ferry init`: read from `pg_catalog` in one read-only transaction.
///
/// Row counts are the planner's estimates (`reltuples`), not `count(*)`, so introspecting a large database costs
/// nothing; a table never vacuumed or analyzed has no estimate.
public struct PostgresSourceCatalog: SourceCatalog {
    public let config: PostgresConnectionConfig

    public init(config: PostgresConnectionConfig) {
        self.config = config
    }

    /// Tables and partitioned tables (not their partitions, which a partition root replicates) of `schemas`, or of
    /// every schema but PostgreSQL's own when empty.
    public func tables(schemas: [String]) throws(FerryError) -> [CatalogTable] {
        let conn = try PGConnection(config: config)
        defer { conn.close() }
        let context = "listing the tables of \(config.redactedDescription)"
        try conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", context: context)
        let filter =
            schemas.isEmpty
            ? "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
            : "n.nspname = ANY($1::text[])"
        let sql = """
            SELECT n.nspname, c.relname,
                   CASE WHEN c.relkind = 'p' THEN
                     (SELECT sum(greatest(p.reltuples, 0))::bigint FROM pg_catalog.pg_inherits h
                      JOIN pg_catalog.pg_class p ON p.oid = h.inhrelid WHERE h.inhparent = c.oid)
                   WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
                   (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'))
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN (\(PostgresCatalog.tableKinds)) AND NOT c.relispartition AND \(filter)
            ORDER BY n.nspname, c.relname
            """
        let params = schemas.isEmpty ? [] : ["{" + schemas.map(Self.arrayElement).joined(separator: ",") + "}"]
        let rows = try conn.execParams(sql, params, context: context)
        var out: [CatalogTable] = []
        for row in rows.rows {
            guard row.count == 4, let schema = row[0], let name = row[1] else { continue }
            let table = TableName(schema: schema, name: name)
            guard let info = try PostgresCatalog.describe(conn, table, kinds: PostgresCatalog.tableKinds) else {
                continue
            }
            let identity = (row[3] ?? "").split(separator: ",").map(String.init)
            out.append(
                CatalogTable(
                    name: table, schema: info.schema, rowEstimate: row[2].flatMap { Int64($0) },
                    identityColumns: identity))
        }
        _ = try? conn.exec("COMMIT", context: context)
        return out
    }

    /// `wal_level = logical` and a role with REPLICATION or superuser: what `sync_mode: cdc` needs of the server
    /// (each table's replica identity is its primary key, which the advisor requires anyway).
    public func streaming() throws(FerryError) -> StreamingReadiness {
        let conn = try PGConnection(config: config)
        defer { conn.close() }
        let context = "checking whether \(config.redactedDescription) can stream changes"
        let rows = try conn.exec(
            """
            SELECT current_setting('wal_level'), current_user,
                   (SELECT rolsuper OR rolreplication FROM pg_catalog.pg_roles WHERE rolname = current_user)
            """, context: context)
        guard let row = rows.rows.first, row.count == 3 else {
            return StreamingReadiness(canStream: false, reason: "the server did not say its wal_level")
        }
        let walLevel = row[0] ?? "?"
        let role = row[1] ?? "?"
        if walLevel != "logical" {
            return StreamingReadiness(
                canStream: false,
                reason:
                    "wal_level is '\(walLevel)', not logical: no cdc (set wal_level = logical and restart to stream)")
        }
        if row[2] != "t" {
            return StreamingReadiness(
                canStream: false,
                reason: "role \(role) has neither REPLICATION nor superuser: no cdc (ALTER ROLE \(role) REPLICATION)")
        }
        return StreamingReadiness(
            canStream: true, reason: "wal_level is logical and the role may replicate: keyed tables use cdc")
    }

    /// One element of a PostgreSQL array literal, quoted so any schema name survives.
    static func arrayElement(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
