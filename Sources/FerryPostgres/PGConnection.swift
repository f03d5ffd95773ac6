import CLibPQ
public import FerryCore
import Foundation

/// Rows of a text-format result, for catalog queries and other small answers.
public struct PGRows: Sendable {
    /// Column names, in order.
    public var columns: [String]
    /// One array per row; `nil` is SQL NULL.
    public var rows: [[String?]]
    /// `PQcmdTuples`: rows affected by INSERT/UPDATE/DELETE/COPY, when the command reports it.
    public var affectedRows: Int64?

    /// The first column of the first row, for single-value queries.
    public var scalar: String? { rows.first?.first ?? nil }
}

/// One libpq connection.
///
/// Not thread-safe: it has one owner at a time. The engine may hand a reader (and the connection inside it) to
/// another thread, but only once the previous thread is done with it, which is why this type is not `Sendable`.
/// Every failure comes back as a `FerryError` carrying the SQLSTATE.
public final class PGConnection {
    private var conn: OpaquePointer?
    private var timeoutLifted = false
    /// `postgres://user@host:port/db`, for messages.
    public let endpoint: String

    /// Connects with `PQconnectdb` and fails with a `.connection` error unless the connection is usable.
    public convenience init(config: PostgresConnectionConfig) throws(FerryError) {
        try self.init(conninfo: config.conninfo(), endpoint: config.redactedDescription)
    }

    /// Connects with a ready-made conninfo (a replication connection adds `replication=database`); `endpoint`
    /// names the server in messages and must not contain the password.
    init(conninfo: String, endpoint: String) throws(FerryError) {
        self.endpoint = endpoint
        guard let c = PQconnectdb(conninfo) else {
            throw FerryError(.connection, "cannot connect to \(endpoint): libpq could not allocate a connection")
        }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = PostgresErrors.oneLine(String(cString: PQerrorMessage(c)))
            PQfinish(c)
            throw FerryError(
                .connection,
                "cannot connect to \(endpoint): \(message); check host, port, database, user and password, "
                    + "and that the server accepts connections")
        }
        // libpq prints NOTICEs ("table … does not exist, skipping") on stderr by default; they are not errors.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        conn = c
    }

    deinit { close() }

    /// Whether the connection is open and healthy.
    public var isOpen: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// Whether a transaction block is open (idle in it or failed in it).
    var inTransaction: Bool {
        guard let conn else { return false }
        let s = PQtransactionStatus(conn)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR
    }

    /// Closes the connection (`PQfinish`); the server rolls back any open transaction. Safe to call twice.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    func handle(_ context: String, table: String?) throws(FerryError) -> OpaquePointer {
        guard let conn else {
            throw FerryError(.connection, "\(context) failed: the connection to \(endpoint) is closed", table: table)
        }
        return conn
    }

    /// Runs one statement without parameters. Use only for SQL that carries no user values (or escaped ones).
    @discardableResult
    public func exec(_ sql: String, context: String = "running SQL", table: String? = nil) throws(FerryError) -> PGRows
    {
        let c = try handle(context, table: table)
        let res = try check(
            PQexec(c, sql), context: context, table: table, expect: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        defer { PQclear(res) }
        return rows(of: res)
    }

    /// Runs one statement with text parameters `$1…$n` (`nil` = NULL), so values never need quoting.
    @discardableResult
    public func execParams(
        _ sql: String, _ params: [String?], context: String = "running SQL", table: String? = nil
    ) throws(FerryError) -> PGRows {
        let c = try handle(context, table: table)
        let owned: [UnsafeMutablePointer<CChar>?] = params.map { $0.flatMap { strdup($0) } }
        defer { for p in owned { free(p) } }
        let values: [UnsafePointer<CChar>?] = owned.map { $0.map { UnsafePointer($0) } }
        let raw = PQexecParams(c, sql, Int32(params.count), nil, values, nil, nil, 0)
        let res = try check(raw, context: context, table: table, expect: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        defer { PQclear(res) }
        return rows(of: res)
    }

    /// `PQescapeLiteral`: a quoted SQL literal for statements that take no parameters (COPY).
    public func escapeLiteral(_ text: String, context: String, table: String? = nil) throws(FerryError) -> String {
        let c = try handle(context, table: table)
        guard let escaped = PQescapeLiteral(c, text, text.utf8.count) else {
            throw connectionError(context: context, table: table)
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    // MARK: COPY

    /// `command_timeout` bounds planning and metadata statements; moving a table's data (and building its indexes
    /// afterwards) takes as long as the table is big, so from the first COPY on this connection has no timeout.
    private func liftStatementTimeout(context: String, table: String?) throws(FerryError) {
        guard !timeoutLifted else { return }
        let c = try handle(context, table: table)
        let res = try check(
            PQexec(c, "SET statement_timeout = 0"), context: context, table: table, expect: [PGRES_COMMAND_OK])
        PQclear(res)
        timeoutLifted = true
    }

    /// Starts `COPY … TO STDOUT`.
    func beginCopyOut(_ sql: String, context: String, table: String?) throws(FerryError) {
        try liftStatementTimeout(context: context, table: table)
        let c = try handle(context, table: table)
        let res = try check(PQexec(c, sql), context: context, table: table, expect: [PGRES_COPY_OUT])
        PQclear(res)
    }

    /// Hands each CopyData message (one row, A.1) to `body` without copying it, then checks how the COPY ended:
    /// a server error mid-COPY (timeout, cancel) throws here. If `body` throws, the COPY is cancelled and drained
    /// so the connection stays usable, and the error is rethrown. Returns the rows the server sent (`COPY n`).
    @discardableResult
    func readCopyData(
        context: String, table: String?, _ body: (UnsafeRawBufferPointer) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64? {
        let c = try handle(context, table: table)
        while true {
            var buffer: UnsafeMutablePointer<CChar>? = nil
            let n = PQgetCopyData(c, &buffer, 0)
            if n > 0, let buffer {
                do throws(FerryError) {
                    try body(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
                } catch {
                    PQfreemem(buffer)
                    abandonCopyOut(c)
                    throw error
                }
                PQfreemem(buffer)
            } else if n == -1 {
                return try drainResults(c, context: context, table: table)
            } else {
                let error = connectionError(context: context, table: table)
                _ = try? drainResults(c, context: context, table: table)
                throw error
            }
        }
    }

    /// Cancels a running COPY OUT and discards what is still in flight.
    private func abandonCopyOut(_ c: OpaquePointer) {
        if let cancel = PQgetCancel(c) {
            var errbuf = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &errbuf, Int32(errbuf.count))
            PQfreeCancel(cancel)
        }
        while true {
            var buffer: UnsafeMutablePointer<CChar>? = nil
            let n = PQgetCopyData(c, &buffer, 0)
            if let buffer { PQfreemem(buffer) }
            if n < 0 { break }
        }
        while let res = PQgetResult(c) { PQclear(res) }
    }

    /// Starts `COPY … FROM STDIN`.
    func beginCopyIn(_ sql: String, context: String, table: String?) throws(FerryError) {
        try liftStatementTimeout(context: context, table: table)
        let c = try handle(context, table: table)
        let res = try check(PQexec(c, sql), context: context, table: table, expect: [PGRES_COPY_IN])
        PQclear(res)
    }

    /// Queues bytes of the COPY stream (any cut is fine, A.1). Blocking mode: 1 = sent, -1 = failure.
    func putCopyData(_ bytes: UnsafeRawBufferPointer, context: String, table: String?) throws(FerryError) {
        let c = try handle(context, table: table)
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if PQputCopyData(c, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) != 1 {
            let error = connectionError(context: context, table: table)
            abortCopyIn(reason: "client failure")
            throw error
        }
    }

    /// Queues the whole of `bytes`.
    func putCopyData(_ bytes: [UInt8], context: String, table: String?) throws(FerryError) {
        var failure: FerryError?
        bytes.withUnsafeBytes { raw in
            do throws(FerryError) {
                try putCopyData(raw, context: context, table: table)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Ends COPY IN successfully; returns the rows the server stored (`PQcmdTuples`).
    func endCopyIn(context: String, table: String?) throws(FerryError) -> Int64 {
        let c = try handle(context, table: table)
        guard PQputCopyEnd(c, nil) == 1 else {
            let error = connectionError(context: context, table: table)
            _ = try? drainResults(c, context: context, table: table)
            throw error
        }
        return try drainResults(c, context: context, table: table) ?? 0
    }

    /// Ends COPY IN with an error, so the server discards the statement (57014 "COPY from stdin failed: reason").
    func abortCopyIn(reason: String) {
        guard let conn else { return }
        _ = PQputCopyEnd(conn, reason)
        while let res = PQgetResult(conn) { PQclear(res) }
    }

    // MARK: Results and errors

    /// Reads results until `PQgetResult` returns NULL; throws the first error; returns the COPY row count.
    @discardableResult
    func drainResults(_ c: OpaquePointer, context: String, table: String?) throws(FerryError) -> Int64? {
        var failure: FerryError?
        var count: Int64?
        while let res = PQgetResult(c) {
            let status = PQresultStatus(res)
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                count = count ?? Int64(String(cString: PQcmdTuples(res)))
            } else if failure == nil {
                failure = resultError(res, context: context, table: table)
            }
            PQclear(res)
            // A COPY state left behind by a broken stream would loop forever; stop on it.
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { break }
        }
        if let failure { throw failure }
        return count
    }

    func check(
        _ res: OpaquePointer?, context: String, table: String?, expect: [ExecStatusType]
    ) throws(FerryError) -> OpaquePointer {
        guard let res else { throw connectionError(context: context, table: table) }
        let status = PQresultStatus(res)
        if expect.contains(status) { return res }
        let error = resultError(res, context: context, table: table)
        PQclear(res)
        // A statement that unexpectedly started a COPY must be ended before the connection is usable again.
        if status == PGRES_COPY_IN { abortCopyIn(reason: "unexpected COPY") }
        throw error
    }

    private func resultError(_ res: OpaquePointer, context: String, table: String?) -> FerryError {
        let state = field(res, UInt8(ascii: "C"))
        let primary =
            field(res, UInt8(ascii: "M"))
            ?? PostgresErrors.oneLine(String(cString: PQresultErrorMessage(res)))
        return PostgresErrors.make(
            context: context, primary: primary.isEmpty ? "unknown error" : primary, sqlState: state,
            connectionBroken: !isOpen, table: table)
    }

    private func field(_ res: OpaquePointer, _ code: UInt8) -> String? {
        guard let p = PQresultErrorField(res, Int32(code)) else { return nil }
        return String(cString: p)
    }

    func connectionError(context: String, table: String?) -> FerryError {
        let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "connection closed"
        return PostgresErrors.make(
            context: context, primary: message.isEmpty ? "connection lost" : message, sqlState: nil,
            connectionBroken: true, table: table)
    }

    private func rows(of res: OpaquePointer) -> PGRows {
        let nrows = PQntuples(res)
        let ncols = PQnfields(res)
        var columns: [String] = []
        for j in 0..<ncols { columns.append(PQfname(res, j).map { String(cString: $0) } ?? "") }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(nrows))
        for i in 0..<nrows {
            var row: [String?] = []
            row.reserveCapacity(Int(ncols))
            for j in 0..<ncols {
                if PQgetisnull(res, i, j) != 0 {
                    row.append(nil)
                } else {
                    row.append(PQgetvalue(res, i, j).map { String(cString: $0) } ?? "")
                }
            }
            rows.append(row)
        }
        return PGRows(
            columns: columns, rows: rows, affectedRows: PQcmdTuples(res).flatMap { Int64(String(cString: $0)) })
    }
}

/// SQL text helpers: identifiers are always quoted, so any name the source has works on the target.
public enum PostgresSQL {
    /// `a"b` -> `"a""b"`.
    public static func quoteIdent(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `"schema"."name"`, or just `"name"` when the table has no schema (resolved by the search path, i.e.
    /// `current_schema()`).
    public static func qualifiedName(_ table: TableName) -> String {
        if let schema = table.schema { return quoteIdent(schema) + "." + quoteIdent(table.name) }
        return quoteIdent(table.name)
    }

    /// The longest prefix of `name` that fits PostgreSQL's 63-byte identifier limit (NAMEDATALEN − 1), cut on a
    /// code point boundary as the server does, so the names Ferry derives are the names the server stores.
    public static func truncateIdentifier(_ name: String, maxBytes: Int = 63) -> String {
        guard name.utf8.count > maxBytes else { return name }
        var out = String.UnicodeScalarView()
        var used = 0
        for scalar in name.unicodeScalars {
            let n = UTF8.width(scalar)
            if used + n > maxBytes { break }
            out.append(scalar)
            used += n
        }
        return String(out)
    }
}
