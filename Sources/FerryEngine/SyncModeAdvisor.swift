public import FerryCore

/// Proposes a sync mode for each table of a source from what its catalog says (`ferry init`).
///
/// A pure function of the facts, so every rule is tested without a database, and so the config `ferry init` writes
/// can explain each choice: the rules run in order and the first that fits wins.
///
/// 1. No primary key: `full_replace` (neither a change stream nor a look-back can match rows without one).
/// 2. The source can stream: `cdc` (inserts, updates and deletes, within seconds).
/// 3. At most `smallTableRows` rows: `full_replace` (copying everything is cheap and always exact).
/// 4. A timestamp column named like an update time (`updated_at`, `modified`, `last_modified`, …): `incremental`
///    `datetime` with a look-back of `lookBackDays`, which refreshes updated rows by key.
/// 5. A single integer key: `incremental` `identity`, for tables rows are only appended to.
/// 6. Otherwise `full_replace`: nothing tells which rows changed.
public struct SyncModeAdvisor: Sendable {
    /// Tables with at most this many rows (by the catalog's estimate) are copied whole.
    public var smallTableRows: Int64
    /// The look-back of proposed `datetime` watermarks (`date_buffer_days`).
    public var lookBackDays: Int

    /// Column names (lowercased) taken to hold a row's last update time.
    public static let updateTimeNames: Set<String> = [
        "updated_at", "updated", "updated_on", "update_time", "updatedat", "last_updated", "last_updated_at",
        "modified", "modified_at", "modified_on", "last_modified", "last_modified_at", "lastmodified", "changed_at",
        "mtime",
    ]

    public init(smallTableRows: Int64 = 10_000, lookBackDays: Int = 1) {
        self.smallTableRows = smallTableRows
        self.lookBackDays = lookBackDays
    }

    /// One proposal per table, in the catalog's order.
    public func propose(tables: [CatalogTable], streaming: StreamingReadiness) -> ConfigProposal {
        ConfigProposal(
            tables: tables.map { propose($0, streaming: streaming) }, streaming: streaming)
    }

    /// The proposal for one table, with the reason a comment in the config will give.
    public func propose(_ table: CatalogTable, streaming: StreamingReadiness) -> TableProposal {
        let schema = table.schema
        let rows = table.rowEstimate.map { "~\($0) rows" } ?? "row count unknown"
        guard !schema.primaryKey.isEmpty else {
            return TableProposal(
                name: table.name, syncMode: .fullReplace,
                reason: "no primary key (\(rows)): copied whole each run; add a key to make it incremental or cdc")
        }
        let key = schema.primaryKey.joined(separator: ", ")
        if streaming.canStream {
            return TableProposal(
                name: table.name, syncMode: .cdc,
                reason: "keyed by \(key) and the source can stream: inserts, updates and deletes follow within seconds")
        }
        if let estimate = table.rowEstimate, estimate <= smallTableRows {
            return TableProposal(
                name: table.name, syncMode: .fullReplace,
                reason: "small (\(rows), at most \(smallTableRows)): copying it whole each run is cheap and exact")
        }
        if let column = updateTimeColumn(schema) {
            let type: IncrementalType = column.type == .date ? .date : .datetime
            return TableProposal(
                name: table.name, syncMode: .incremental, incrementalColumn: column.name, incrementalType: type,
                dateBufferDays: lookBackDays,
                reason:
                    "\(column.name) looks like an update time (\(rows)): rows changed since the target's latest "
                    + "\(column.name) minus \(lookBackDays) day(s) are upserted by \(key); deletes are not copied")
        }
        if schema.primaryKey.count == 1, let column = schema.column(named: schema.primaryKey[0]),
            Self.isInteger(column.type)
        {
            let generated = table.identityColumns.contains(column.name) ? "generated " : ""
            return TableProposal(
                name: table.name, syncMode: .incremental, incrementalColumn: column.name, incrementalType: .identity,
                reason:
                    "\(generated)integer key \(column.name) and no update-time column (\(rows)): rows above the "
                    + "target's MAX(\(column.name)) are appended; assumes rows are only inserted")
        }
        return TableProposal(
            name: table.name, syncMode: .fullReplace,
            reason: "\(rows), key \(key) is not one integer and no update-time column tells what changed: copied whole")
    }

    /// The first timestamp (or date) column named like an update time.
    func updateTimeColumn(_ schema: TableSchema) -> Column? {
        schema.columns.first { column in
            switch column.type {
            case .timestamp, .timestampTZ, .date: Self.updateTimeNames.contains(column.name.lowercased())
            default: false
            }
        }
    }

    static func isInteger(_ type: ColumnType) -> Bool {
        switch type {
        case .int16, .int32, .int64: true
        default: false
        }
    }
}

/// What `ferry init` proposes for a source: one entry per table, and whether the source can stream.
public struct ConfigProposal: Sendable, Hashable, Encodable {
    public var tables: [TableProposal]
    public var streaming: StreamingReadiness

    public init(tables: [TableProposal], streaming: StreamingReadiness) {
        self.tables = tables
        self.streaming = streaming
    }

    enum CodingKeys: String, CodingKey { case tables, canStream, streamingReason }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tables, forKey: .tables)
        try c.encode(streaming.canStream, forKey: .canStream)
        try c.encode(streaming.reason, forKey: .streamingReason)
    }
}

/// The sync mode proposed for one table and why.
public struct TableProposal: Sendable, Hashable, Encodable {
    public var name: TableName
    public var syncMode: SyncMode
    public var incrementalColumn: String?
    public var incrementalType: IncrementalType?
    public var dateBufferDays: Int?
    /// One line: the facts the choice rests on.
    public var reason: String

    public init(
        name: TableName, syncMode: SyncMode, incrementalColumn: String? = nil, incrementalType: IncrementalType? = nil,
        dateBufferDays: Int? = nil, reason: String
    ) {
        self.name = name
        self.syncMode = syncMode
        self.incrementalColumn = incrementalColumn
        self.incrementalType = incrementalType
        self.dateBufferDays = dateBufferDays
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case name, syncMode, incrementalColumn, incrementalType, dateBufferDays, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name.description, forKey: .name)
        try c.encode(syncMode, forKey: .syncMode)
        try c.encodeIfPresent(incrementalColumn, forKey: .incrementalColumn)
        try c.encodeIfPresent(incrementalType, forKey: .incrementalType)
        try c.encodeIfPresent(dateBufferDays, forKey: .dateBufferDays)
        try c.encode(reason, forKey: .reason)
    }
}
