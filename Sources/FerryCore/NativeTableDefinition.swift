/// A table's definition in its own database's terms: for PostgreSQL the exact column types, defaults, identity and
/// generated columns, constraints, indexes, partitions, comments, owned sequences and the user-defined types it uses.
///
/// The engine treats it as opaque: only a writer for the same `dialect` reads `payload` (the connector's own
/// encoding). That is what lets a PostgreSQL -> PostgreSQL copy recreate the table exactly, types Ferry has no
/// mapping for included, without FerryCore knowing any catalog.
public struct NativeTableDefinition: Sendable, Hashable {
    /// Which kind of database wrote `payload` (`"postgresql"`).
    public var dialect: String
    /// The connector's own encoding of the definition.
    public var payload: [UInt8]
    /// The tables this one's foreign keys reference, so a run can load them first.
    public var references: [TableName]

    public init(dialect: String, payload: [UInt8], references: [TableName] = []) {
        self.dialect = dialect
        self.payload = payload
        self.references = references
    }
}

/// A run of rows in a database's own copy format (PostgreSQL: the bytes of `COPY … TO STDOUT`), moved from a
/// `NativeTableReader` to a `NativeTableWriter` of the same dialect without being decoded.
public struct NativeRows: Sendable {
    public var bytes: [UInt8]
    /// Whole rows in `bytes`.
    public var rows: Int

    public init(bytes: [UInt8], rows: Int) {
        self.bytes = bytes
        self.rows = rows
    }
}
