import FerryCore
import Foundation

/// Folds a change stream into one change set per table, a micro-batch at a time.
///
/// Rows arrive in the shape of the source's latest `relation` message; the batcher maps them by column name onto
/// the table's target shape (the union of every column seen, plus Ferry's own columns), so a column added in the
/// source is added to the target and a dropped one stays there, NULL from then on. Changes a table already holds
/// (committed before its snapshot or an earlier batch) are skipped by LSN.
struct ChangeBatcher {
    /// One table of the pipeline.
    struct TableState {
        let spec: TableSpec
        /// The target holds every transaction that committed before this position.
        var position: LSN
        /// The shape written to the target.
        var schema: TableSchema
        var keyIndexes: [Int]
        /// For each column of the source's current relation, its index in `schema`.
        var relationMap: [Int] = []
        var relationKnown = false
    }

    private(set) var tables: [String: TableState]
    /// Kept apart from `tables` and mutated in place: folding into a copy would copy its whole dictionary per row.
    private var builders: [String: ChangeSetBuilder] = [:]
    private var counts: [String: Int64] = [:]
    private var inTransaction = false
    private var commitLSN = LSN.zero
    private var commitTime: Int64 = 0
    /// Row changes folded into the pending batch.
    private(set) var pendingChanges = 0
    private(set) var firstChangeAt: Date?
    /// End of the last transaction folded: the position the pending batch reaches.
    private(set) var batchEnd: LSN?
    private(set) var batchCommitTime: Int64?
    /// Source commit time of the first transaction of the pending batch (its oldest change).
    private(set) var batchFirstCommitTime: Int64?

    init(tables: [TableState]) {
        self.tables = Dictionary(uniqueKeysWithValues: tables.map { (Self.key($0.spec.name), $0) })
        for (key, state) in self.tables { builders[key] = ChangeSetBuilder(keyIndexes: state.keyIndexes) }
    }

    static func key(_ name: TableName) -> String { "\(name.schema ?? "public").\(name.name)" }

    var isInTransaction: Bool { inTransaction }
    var hasPending: Bool { batchEnd != nil }

    /// Folds one event. Throws when a row cannot be mapped (a schema change Ferry cannot follow).
    mutating func add(_ event: ChangeEvent) throws(FerryError) {
        switch event {
        case .begin(let finalLSN, let time):
            inTransaction = true
            commitLSN = finalLSN
            commitTime = time
        case .relation(let name, let schema):
            let key = Self.key(name)
            guard var state = tables[key] else { return }
            try follow(&state, relation: schema)
            tables[key] = state
            builders[key]?.keyIndexes = state.keyIndexes
        case .row(let name, let change):
            let key = Self.key(name)
            guard let state = tables[key], commitLSN >= state.position else { return }
            guard state.relationKnown else {
                throw FerryError(
                    .integrity, "a change arrived before the table's description (relation message)",
                    table: state.spec.name.description)
            }
            let row = mapped(change, state)
            builders[key]?.add(row)
            counts[key, default: 0] += 1
            pendingChanges += 1
            if firstChangeAt == nil { firstChangeAt = Date() }
        case .truncate(let names):
            for name in names {
                let key = Self.key(name)
                guard let position = tables[key]?.position, commitLSN >= position else { continue }
                builders[key]?.truncate()
                counts[key, default: 0] += 1
                pendingChanges += 1
                if firstChangeAt == nil { firstChangeAt = Date() }
            }
        case .commit(_, let endLSN, let time):
            inTransaction = false
            batchEnd = endLSN
            batchCommitTime = time
            if batchFirstCommitTime == nil { batchFirstCommitTime = time }
        case .idle:
            break
        }
    }

    /// Takes the pending batch: each touched table's change set with the shape to apply it with, and the position
    /// it reaches.
    mutating func take() -> CDCBatch? {
        guard let end = batchEnd else { return nil }
        var batch = CDCBatch(end: end, commitTime: batchCommitTime, firstCommitTime: batchFirstCommitTime, tables: [])
        for (key, builder) in builders where !builder.isEmpty {
            guard let state = tables[key] else { continue }
            var set = builder.build()
            // Rows folded before a column was added are shorter than the table now is: the new column is NULL.
            let width = state.schema.columns.count
            for (group, rows) in set.upserts where rows.contains(where: { $0.count < width }) {
                set.upserts[group] = rows.map {
                    $0.count < width ? $0 + Array(repeating: nil, count: width - $0.count) : $0
                }
            }
            batch.tables.append(
                CDCBatch.Table(
                    key: key, label: state.spec.name.description, changes: set, schema: state.schema,
                    count: counts[key] ?? 0))
        }
        for (key, state) in tables { builders[key] = ChangeSetBuilder(keyIndexes: state.keyIndexes) }
        counts = [:]
        batchEnd = nil
        batchCommitTime = nil
        batchFirstCommitTime = nil
        pendingChanges = 0
        firstChangeAt = nil
        return batch
    }

    /// Records that `key`'s target now holds everything before `position`.
    mutating func advance(_ key: String, to position: LSN) {
        if let p = tables[key]?.position, p < position { tables[key]?.position = position }
    }

    /// Adopts the source's new shape of a table: new columns are appended, changed types replace the old ones (the
    /// target decides whether it can follow), dropped columns stay.
    private func follow(_ state: inout TableState, relation: TableSchema) throws(FerryError) {
        var map: [Int] = []
        for column in relation.columns {
            if let index = state.schema.index(of: column.name) {
                if state.schema.columns[index].type != column.type {
                    state.schema.columns[index].type = column.type
                    state.schema.columns[index].nativeType = column.nativeType
                }
                map.append(index)
            } else {
                var added = column
                added.nullable = true
                state.schema.columns.append(added)
                map.append(state.schema.columns.count - 1)
            }
        }
        let keys = state.schema.primaryKey
        for key in keys where relation.column(named: key) == nil {
            throw FerryError(
                .schema, "key column \(key) is no longer in the source table; resynchronise the table",
                table: state.spec.name.description)
        }
        state.keyIndexes = keys.compactMap { state.schema.index(of: $0) }
        state.relationMap = map
        state.relationKnown = true
    }

    /// The change in the target's shape: mapped columns, Ferry's columns filled, soft deletes turned into updates.
    private func mapped(_ change: RowChange, _ state: TableState) -> RowChange {
        let width = state.schema.columns.count
        var unchanged = Set<Int>()
        for c in change.unchanged where c < state.relationMap.count { unchanged.insert(state.relationMap[c]) }
        if change.kind == .delete && state.spec.deletes == .soft {
            var row = [ScalarValue?](repeating: nil, count: width)
            for (k, index) in state.keyIndexes.enumerated() where k < change.oldKey.count {
                row[index] = change.oldKey[k]
            }
            let keep = Set(state.keyIndexes)
            let own = ExtraColumns.indexes(in: state.schema)
            for i in 0..<width where !keep.contains(i) && !own.contains(i) { unchanged.insert(i) }
            ExtraColumns.fill(&row, schema: state.schema, deleted: true, lsn: commitLSN)
            return RowChange(kind: .update, row: row, unchanged: unchanged, oldKey: change.oldKey)
        }
        guard let source = change.row else { return change }
        var row = [ScalarValue?](repeating: nil, count: width)
        for (c, value) in source.enumerated() where c < state.relationMap.count { row[state.relationMap[c]] = value }
        ExtraColumns.fill(&row, schema: state.schema, deleted: false, lsn: commitLSN)
        return RowChange(kind: change.kind, row: row, unchanged: unchanged, oldKey: change.oldKey)
    }
}

/// A micro-batch of whole transactions: each touched table's change set with the shape to apply it with, and the
/// position (end LSN of its last transaction) the targets hold once it is applied.
struct CDCBatch {
    struct Table {
        var key: String
        var label: String
        var changes: ChangeSet
        var schema: TableSchema
        var count: Int64
    }
    var end: LSN
    /// Source commit times (µs since 1970) of the batch's last and first transactions.
    var commitTime: Int64?
    var firstCommitTime: Int64?
    var tables: [Table]

    /// A source commit time as a date.
    static func date(micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
}

/// Ferry's own columns in a CDC target: `_ferry_deleted` (soft deletes), `_ferry_lsn` and `_ferry_synced_at`
/// (metadata columns), after the table's columns at the initial load; columns the source adds later come after them.
enum ExtraColumns {
    static let deleted = Column(name: "_ferry_deleted", type: .boolean, nullable: false)
    static let lsn = Column(name: "_ferry_lsn", type: .int64, nullable: false)
    static let syncedAt = Column(name: "_ferry_synced_at", type: .timestampTZ, nullable: false)

    static func columns(_ spec: TableSpec) -> [Column] {
        (spec.deletes == .soft ? [deleted] : []) + (spec.metadataColumns ? [lsn, syncedAt] : [])
    }

    static func count(_ spec: TableSpec) -> Int { columns(spec).count }

    static let names: Set<String> = [deleted.name, lsn.name, syncedAt.name]

    static func indexes(in schema: TableSchema) -> Set<Int> {
        Set(schema.columns.indices.filter { names.contains(schema.columns[$0].name) })
    }

    /// Sets Ferry's columns of `row` (those `schema` has).
    static func fill(_ row: inout [ScalarValue?], schema: TableSchema, deleted isDeleted: Bool, lsn position: LSN) {
        for (i, column) in schema.columns.enumerated() {
            switch column.name {
            case deleted.name: row[i] = .int(isDeleted ? 1 : 0)
            case lsn.name: row[i] = .int(Int64(bitPattern: position.rawValue))
            case syncedAt.name: row[i] = .timestamp(Int64(Date().timeIntervalSince1970 * 1_000_000), zoned: true)
            default: continue
            }
        }
    }

    /// `schema` with Ferry's columns appended (replacing any already there).
    static func append(to schema: TableSchema, spec: TableSpec) -> TableSchema {
        var s = schema
        let own = Set(columns(spec).map(\.name))
        s.columns.removeAll { own.contains($0.name) }
        s.columns += columns(spec)
        return s
    }
}
