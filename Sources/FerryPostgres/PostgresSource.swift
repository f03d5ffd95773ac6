public import FerryCore
import Foundation

/// Reads PostgreSQL tables with binary COPY, each inside its own `REPEATABLE READ READ ONLY` snapshot, so the count
/// the engine checks against and the rows it reads come from the same moment.
public struct PostgresSource: Source {
    public let config: PostgresConnectionConfig

    public init(config: PostgresConnectionConfig) {
        self.config = config
    }

    /// Opens a connection, starts the snapshot and reads the table's definition in it.
    public func openReader(_ table: TableName) throws(FerryError) -> any TableReader {
        try Self.openReader(table, config: config, snapshot: nil)
    }

    /// Opens `table` in a new `REPEATABLE READ READ ONLY` transaction; with `snapshot`, the transaction imports
    /// that exported snapshot (`SET TRANSACTION SNAPSHOT`) so it sees exactly what a replication slot's creation
    /// saw. `streamedColumnsOnly` reads the table as a change stream carries it (`PGTableInfo.streamedColumns`).
    static func openReader(
        _ table: TableName, config: PostgresConnectionConfig, snapshot: String?, streamedColumnsOnly: Bool = false
    ) throws(FerryError) -> PostgresTableReader {
        let conn = try PGConnection(config: config)
        do throws(FerryError) {
            try conn.exec(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", context: "starting a snapshot of \(table)",
                table: table.description)
            if let snapshot {
                let literal = try conn.escapeLiteral(
                    snapshot, context: "importing snapshot \(snapshot)", table: table.description)
                try conn.exec(
                    "SET TRANSACTION SNAPSHOT \(literal)", context: "importing snapshot \(snapshot) for \(table)",
                    table: table.description)
            }
            let schema = try PostgresCatalog.resolvedSchema(conn, table)
            let resolved = TableName(schema: schema, name: table.name)
            guard let info = try PostgresCatalog.describe(conn, resolved) else {
                throw FerryError(
                    .schema,
                    "table \(resolved) does not exist in the source (check the name and schema in the config)",
                    table: table.description)
            }
            return PostgresTableReader(conn: conn, info: streamedColumnsOnly ? info.streamedColumns : info)
        } catch {
            conn.close()
            throw error
        }
    }
}

/// One table read in one snapshot. Used by one thread at a time (see `PGConnection`).
final class PostgresTableReader: TableReader {
    let conn: PGConnection
    let info: PGTableInfo
    let schema: TableSchema
    /// The table's own definition, read in the snapshot the first time a native copy asks for it.
    var definition: PostgresTableDefinition?

    init(conn: PGConnection, info: PGTableInfo) {
        self.conn = conn
        self.info = info
        self.schema = info.schema
    }

    var label: String { info.label }

    /// Columns Ferry cannot decode in binary (`PGValueForm.text`) are converted to text by the server, through the type's output
    /// function (`format('%s', …)`), which is the form `psql` shows; a plain `::text` cast differs for some types
    /// (`inet` gains a `/32` mask). NULL stays NULL.
    private var selectList: String {
        info.columns.map { c in
            let name = PostgresSQL.quoteIdent(c.name)
            return c.form == .text
                ? "CASE WHEN \(name) IS NULL THEN NULL ELSE format('%s', \(name)) END AS \(name)" : name
        }.joined(separator: ", ")
    }

    func filterColumn(_ filter: RowFilter) throws(FerryError) -> PGColumnInfo {
        guard let column = info.column(named: filter.column) else {
            throw FerryError(
                .schema,
                "column \(filter.column) does not exist in the source table \(label) "
                    + "(check incremental_column in the config)",
                table: label)
        }
        return column
    }

    /// `"col" > <bound>::<type>`: the bound is cast to the column's own type so the comparison is exact.
    func condition(_ filter: RowFilter, column: PGColumnInfo, bound: String) -> String {
        "\(PostgresSQL.quoteIdent(column.name)) \(filter.comparison.rawValue) \(bound)::\(column.formatType)"
    }

    private func selectSQL(
        filter: RowFilter?, limit: Int?, literal: (String) throws(FerryError) -> String
    )
        throws(FerryError) -> String
    {
        var sql = "SELECT \(selectList) FROM \(info.qualified)"
        if let filter {
            let column = try filterColumn(filter)
            sql += " WHERE " + condition(filter, column: column, bound: try literal(filter.value.description))
        }
        if let limit { sql += " LIMIT \(max(0, limit))" }
        return "COPY (\(sql)) TO STDOUT (FORMAT binary)"
    }

    func describeRead(filter: RowFilter?, limit: Int?) -> String {
        let sql = try? selectSQL(filter: filter, limit: limit) { (text: String) throws(FerryError) -> String in
            PostgresSQL.literal(text)
        }
        return sql ?? "COPY (SELECT \(selectList) FROM \(info.qualified)) TO STDOUT (FORMAT binary)"
    }

    func count(filter: RowFilter?) throws(FerryError) -> Int64 {
        var sql = "SELECT count(*) FROM \(info.qualified)"
        var params: [String?] = []
        if let filter {
            sql += " WHERE " + condition(filter, column: try filterColumn(filter), bound: "$1")
            params.append(filter.value.description)
        }
        let rows = try conn.execParams(sql, params, context: "counting rows of \(label)", table: label)
        guard let text = rows.scalar, let n = Int64(text) else {
            throw FerryError(.database, "counting rows of \(label) returned no number", table: label)
        }
        return n
    }

    func read(
        filter: RowFilter?, limit: Int?, batchSize: Int, consume: (RecordBatch) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64 {
        let conn = self.conn
        let label = self.label
        let sql = try selectSQL(filter: filter, limit: limit) { (text: String) throws(FerryError) -> String in
            try conn.escapeLiteral(text, context: "quoting the filter of \(label)", table: label)
        }
        let size = max(1, batchSize)
        let columns = schema.columns
        var decoder = BinaryCopyDecoder(columns: info.columns, table: label)
        var batch = RecordBatch(columns: columns, capacity: size)
        var total: Int64 = 0
        try conn.beginCopyOut(sql, context: "reading \(label)", table: label)
        try conn.readCopyData(context: "reading \(label)", table: label) {
            (message: UnsafeRawBufferPointer) throws(FerryError) in
            guard try decoder.decode(message, into: &batch) else { return }
            total += 1
            if batch.rowCount >= size {
                let full = batch
                batch = RecordBatch(columns: columns, capacity: size)
                try consume(full)
            }
        }
        if batch.rowCount > 0 { try consume(batch) }
        return total
    }

    /// Ends the snapshot (read-only, so COMMIT and ROLLBACK are the same) and closes the connection.
    func close() {
        if conn.isOpen && conn.inTransaction {
            _ = try? conn.exec("COMMIT", context: "ending the snapshot of \(label)", table: label)
        }
        conn.close()
    }
}
