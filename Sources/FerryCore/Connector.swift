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

/// Where a change set ends in the source's stream, which decides whether a target already holds it.
public enum ChangePosition: Sendable, Hashable, CustomStringConvertible {
    /// Whole transactions: the target then holds every transaction that committed before this LSN (the end of
    /// the last one), and stores it with the data.
    case through(LSN)
    /// The first part(s) of the transaction that commits at this LSN, too big for one batch. Applied unless the
    /// target already holds that transaction; nothing is stored. A replay after a crash applies the transaction
    /// again from its start, which leaves the same rows: each change sets a key's whole row or deletes it.
    case partOf(commit: LSN)

    /// Whether a target that stored `done` already holds these changes.
    public func isHeld(by done: LSN) -> Bool {
        switch self {
        case .through(let end): done >= end
        case .partOf(let commit): done > commit
        }
    }

    public var description: String {
        switch self {
        case .through(let end): "\(end)"
        case .partOf(let commit): "part of the transaction committed at \(commit)"
        }
    }

    /// The position to store with the data, `nil` for a part of a transaction.
    public var stored: LSN? {
        if case .through(let end) = self { return end }
        return nil
    }
}

/// A table that can take change sets from a change stream (CDC).
///
/// The position (the source commit LSN the changes reach) is stored atomically with the data: in the same
/// transaction for databases, in the same Delta commit for lakes. A change set the stored position already covers
/// is skipped, so a batch replayed after a crash is applied exactly once.
public protocol ChangeWriter: AnyObject {
    /// The position stored with the table's data for `pipeline`, or `nil` when nothing was applied yet.
    func appliedPosition(pipeline: String) throws(FerryError) -> LSN?

    /// Applies `changes` (truncate, then deletes, then upserts) and stores `position.stored`, all at once; returns
    /// `false` when the table already holds them (nothing is written).
    @discardableResult
    func apply(
        _ changes: ChangeSet, schema: TableSchema, at position: ChangePosition, pipeline: String
    ) throws(FerryError) -> Bool
}

extension ChangeWriter {
    /// Applies whole transactions that end at `position`.
    @discardableResult
    public func apply(
        _ changes: ChangeSet, schema: TableSchema, position: LSN, pipeline: String
    ) throws(FerryError) -> Bool {
        try apply(changes, schema: schema, at: .through(position), pipeline: pipeline)
    }
}
