/// How a table is kept in sync.
public enum SyncMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The target ends with exactly the source's rows.
    case fullReplace = "full_replace"
    /// Only rows past the target's high-water mark are copied.
    case incremental
    /// Full load into an empty target, incremental afterwards, optionally falling back to full.
    case smartSync = "smart_sync"
    /// Initial snapshot, then the source's change stream (PostgreSQL logical replication), applied exactly once.
    case cdc
}

/// What a delete in a change stream does to the target row.
public enum DeleteMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The row is deleted.
    case hard
    /// The row stays, with `_ferry_deleted` set to true.
    case soft
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
    /// CDC: what a delete does to the target row.
    public var deletes: DeleteMode = .hard
    /// CDC: add `_ferry_lsn` and `_ferry_synced_at` to the target.
    public var metadataColumns = false
    /// Between two databases of the same kind (PostgreSQL -> PostgreSQL): create the target with the source's own
    /// definition (types, defaults, constraints, indexes, partitions) and keep it in sync on later runs, the rows
    /// passed through in the database's own COPY format. Off: the target gets Ferry's portable mapping.
    public var schemaSync = true

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

/// Settings of a CDC pipeline (`databases.source.cdc` in the config).
public struct CDCSettings: Sendable, Hashable {
    /// The logical replication slot; one per pipeline.
    public var slotName = "ferry_slot"
    /// The publication listing the pipeline's tables.
    public var publicationName = "ferry_pub"
    /// A micro-batch ends at the first commit after this many row changes.
    public var batchMaxRows = 100_000
    /// ... or after this many seconds since its first change.
    public var batchMaxSeconds = 5.0
    /// ... or once its changes take about this many bytes of memory: a batch and the one being applied are what
    /// CDC holds, so this bounds memory whatever the width of the rows (a few wide TOASTed values would otherwise
    /// make `batchMaxRows` rows far larger than planned).
    public var batchMaxBytes: Int64 = 96 << 20
    /// `ferry status` warns when the slot keeps more WAL than this.
    public var maxRetainedWAL: Int64 = 1 << 30

    public init() {}
}
