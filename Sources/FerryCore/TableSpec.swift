/// How a table is kept in sync.
public enum SyncMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The target ends with exactly the source's rows.
    case fullReplace = "full_replace"
    /// Only rows past the target's high-water mark are copied.
    case incremental
    /// Full load into an empty target, incremental afterwards, optionally falling back to full.
    case smartSync = "smart_sync"
}

/// What kind of column drives an incremental sync.
public enum IncrementalType: String, Sendable, Hashable, CaseIterable, Codable {
    /// Monotonic key: rows with `col > MAX(col)` on the target are appended.
    case identity
    /// Date column re-synced from `MAX(col) - date_buffer_days`, upserted by primary key.
    case date
    /// Timestamp column re-synced from `MAX(col) - date_buffer_days`, upserted by primary key.
    case datetime
}

/// How a full load reaches the target.
public enum LoadStrategy: String, Sendable, Hashable, CaseIterable, Codable {
    /// Truncate and load in one transaction.
    case simpleCopy = "simple_copy"
    /// Load a staging table, build indexes, swap it in by rename in one transaction.
    case stagingSwap = "staging_swap"
}

/// One table's replication settings, as validated from the config.
public struct TableSpec: Sendable, Hashable {
    public var name: TableName
    public var targetName: TableName
    public var syncMode: SyncMode
    public var strategy: LoadStrategy
    public var truncateTarget: Bool
    public var incrementalColumn: String?
    public var incrementalType: IncrementalType?
    public var dateBufferDays: Int
    public var fallbackToFull: Bool
    public var batchSize: Int
    public var rowLimit: Int?
    /// Overrides the source's primary key (for tables without one).
    public var primaryKey: [String]?
    /// Partition columns of a lake target (ignored by database targets).
    public var partitionBy: [String] = []

    public init(
        name: TableName,
        targetName: TableName? = nil,
        syncMode: SyncMode = .fullReplace,
        strategy: LoadStrategy = .simpleCopy,
        truncateTarget: Bool = true,
        incrementalColumn: String? = nil,
        incrementalType: IncrementalType? = nil,
        dateBufferDays: Int = 0,
        fallbackToFull: Bool = false,
        batchSize: Int = 5000,
        rowLimit: Int? = nil,
        primaryKey: [String]? = nil
    ) {
        self.name = name
        self.targetName = targetName ?? name
        self.syncMode = syncMode
        self.strategy = strategy
        self.truncateTarget = truncateTarget
        self.incrementalColumn = incrementalColumn
        self.incrementalType = incrementalType
        self.dateBufferDays = dateBufferDays
        self.fallbackToFull = fallbackToFull
        self.batchSize = batchSize
        self.rowLimit = rowLimit
        self.primaryKey = primaryKey
    }
}
