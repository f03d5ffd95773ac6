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

    /// A definition only a writer of `dialect` reads; `payload` is that connector's own encoding.
    public init(dialect: String, payload: [UInt8]) {
        self.dialect = dialect
        self.payload = payload
    }
}
