/// A database Ferry reads tables from.
///
/// Connectors wrap blocking client libraries (libpq, SQLite), so their methods block the calling thread. The engine
/// calls them from dedicated threads, never from the async cooperative pool.
public protocol Source: Sendable {
    /// Opens `table` for reading inside one consistent, read-only snapshot that lasts until `close()`.
    func openReader(_ table: TableName) throws(FerryError) -> any TableReader
}

/// A database Ferry writes tables to.
public protocol Destination: Sendable {
    /// Opens `table` (which may not exist yet) for writing.
    func openWriter(_ table: TableName) throws(FerryError) -> any TableWriter
}

/// One table of a source, read inside one snapshot.
public protocol TableReader: AnyObject {
    /// The table's columns, primary key and indexes, in the snapshot.
    var schema: TableSchema { get }

    /// Rows matching `filter` (all rows when `nil`), counted in the snapshot.
    func count(filter: RowFilter?) throws(FerryError) -> Int64

    /// The statement `read` will run, for dry runs and logs.
    func describeRead(filter: RowFilter?, limit: Int?) -> String

    /// Streams rows matching `filter` in batches of at most `batchSize` rows to `consume`, stopping after `limit` rows.
    /// Returns the number of rows read.
    func read(
        filter: RowFilter?,
        limit: Int?,
        batchSize: Int,
        consume: (RecordBatch) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64

    /// Ends the snapshot and releases the connection.
    func close()
}

/// How the rows of a run land in the target table.
public enum WriteMode: Sendable, Hashable {
    /// The target ends with exactly the rows written (`strategy` says how).
    case replace(LoadStrategy)
    /// Rows are appended.
    case append
    /// Rows are inserted or, when a row with the same key exists, replace it.
    case upsert(key: [String])
}

/// One table of a destination, written in one transaction (or one swap).
public protocol TableWriter: AnyObject {
    /// The target table's current schema, or `nil` when it does not exist.
    func existingSchema() throws(FerryError) -> TableSchema?

    /// Rows currently in the target table (0 when it does not exist).
    func rowCount() throws(FerryError) -> Int64

    /// `MAX(column)` in the target table, `nil` when the table is empty or missing.
    func maxValue(of column: String, type: ColumnType) throws(FerryError) -> ScalarValue?

    /// Removes what an interrupted earlier run may have left behind (staging tables). Safe to call any time.
    func recover() throws(FerryError)

    /// The statements a run with `mode` would execute, for dry runs.
    func describeWrite(schema: TableSchema, mode: WriteMode) -> [String]

    /// Creates or evolves the target for `schema` and starts the write (a transaction or a staging table).
    func begin(schema: TableSchema, mode: WriteMode) throws(FerryError)

    /// Writes one batch inside the write started by `begin`.
    func write(_ batch: RecordBatch) throws(FerryError)

    /// Makes everything written visible at once; returns the rows written.
    func commit() throws(FerryError) -> Int64

    /// Abandons the write; the target is left as it was before `begin`.
    func abort()

    /// Releases the connection.
    func close()
}

/// A writer that can describe its target beyond rows (a Delta table's version, files and size), for `ferry status`.
public protocol TargetDetails {
    /// Label/value pairs, in display order.
    func details() throws(FerryError) -> [(label: String, value: String)]
}
