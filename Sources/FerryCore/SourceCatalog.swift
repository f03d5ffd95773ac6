/// What a source database says about itself, for proposing a config (`ferry init`).
///
/// A port, so that the decision (``FerryEngine``'s `SyncModeAdvisor`) reads facts, never a connector, and the CLI stays
/// the only place that builds a concrete catalog.
public protocol SourceCatalog: Sendable {
    /// The tables of `schemas` (every user schema when empty), in name order, with what a sync mode depends on.
    func tables(schemas: [String]) throws(FerryError) -> [CatalogTable]

    /// Whether the source can stream changes (PostgreSQL: `wal_level = logical` and a role with REPLICATION or
    /// superuser), and if not, why.
    func streaming() throws(FerryError) -> StreamingReadiness
}

/// One table as its source's catalog describes it.
public struct CatalogTable: Sendable, Hashable {
    public var name: TableName
    /// Columns with Ferry types, primary key and indexes.
    public var schema: TableSchema
    /// The planner's row estimate (PostgreSQL `reltuples`) or an exact count (SQLite); `nil` when unknown (a table
    /// never analyzed).
    public var rowEstimate: Int64?
    /// Columns whose values the database generates in increasing order (identity, serial, SQLite `INTEGER PRIMARY
    /// KEY`).
    public var identityColumns: [String]

    public init(name: TableName, schema: TableSchema, rowEstimate: Int64?, identityColumns: [String] = []) {
        self.name = name
        self.schema = schema
        self.rowEstimate = rowEstimate
        self.identityColumns = identityColumns
    }
}

/// Whether a source can stream changes, and why not when it cannot.
public struct StreamingReadiness: Sendable, Hashable {
    public var canStream: Bool
    /// One line for the config's comment: what is missing (`wal_level is 'replica'`), or what allows it.
    public var reason: String

    public init(canStream: Bool, reason: String) {
        self.canStream = canStream
        self.reason = reason
    }

    /// A source that has no change stream at all (SQLite).
    public static func unsupported(_ reason: String) -> StreamingReadiness {
        StreamingReadiness(canStream: false, reason: reason)
    }
}
