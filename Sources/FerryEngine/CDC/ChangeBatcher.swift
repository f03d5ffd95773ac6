import FerryCore
import Foundation

/// Folds a change stream into one change set per table, a micro-batch at a time.
///
/// Rows arrive in the shape of the source's latest `relation` message; the batcher maps them by column name onto
/// the table's target shape (the union of every column seen, plus Ferry's own columns), so a column added in the
/// source is added to the target and a dropped one stays there, NULL from then on. Changes a table already holds
/// (committed before its snapshot or an earlier batch) are skipped by LSN.
struct ChangeBatcher {
    /// One table of the pipeline, with its pending changes.
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
        /// The relation's rows are already in the target's shape (same columns in the same order, no Ferry
        /// columns, hard deletes): they are folded as they come.
        var sameShape = false
        /// Where Ferry's own columns are in `schema`.
        var extras = ExtraColumns.Slots()
        /// The pending batch's changes to this table, and how many there were.
        var builder: ChangeSetBuilder
        var count: Int64 = 0

        init(spec: TableSpec, position: LSN, schema: TableSchema, keyIndexes: [Int]) {
            self.spec = spec
            self.position = position
            self.schema = schema
            self.keyIndexes = keyIndexes
            self.builder = ChangeSetBuilder(keyIndexes: keyIndexes)
        }

        /// Folds `change` (of a transaction that committed at `commitLSN`); `false` when the target already holds
        /// it.
        mutating func fold(_ change: RowChange, commitLSN: LSN, now: Date) throws(FerryError) -> Bool {
            guard commitLSN >= position else { return false }
            guard relationKnown else {
                throw FerryError(
                    .integrity, "a change arrived before the table's description (relation message)",
                    table: spec.name.description)
            }
            builder.add(sameShape ? change : mapped(change, commitLSN: commitLSN, now: now))
            count += 1
            return true
        }

        /// The change in the target's shape: mapped columns, Ferry's columns filled, soft deletes turned into
        /// updates.
        private func mapped(_ change: RowChange, commitLSN: LSN, now: Date) -> RowChange {
            let width = schema.columns.count
            var unchanged = Set<Int>()
            for c in change.unchanged where c < relationMap.count { unchanged.insert(relationMap[c]) }
            if change.kind == .delete && spec.deletes == .soft {
                var row = [ScalarValue?](repeating: nil, count: width)
                for (k, index) in keyIndexes.enumerated() where k < change.oldKey.count {
                    row[index] = change.oldKey[k]
                }
                let keep = Set(keyIndexes)
                for i in 0..<width where !keep.contains(i) && !extras.contains(i) { unchanged.insert(i) }
                extras.fill(&row, deleted: true, lsn: commitLSN, syncedAt: now)
                return RowChange(kind: .update, row: row, unchanged: unchanged, oldKey: change.oldKey)
            }
            guard let source = change.row else { return change }
            var row = [ScalarValue?](repeating: nil, count: width)
            for (c, value) in source.enumerated() where c < relationMap.count { row[relationMap[c]] = value }
            extras.fill(&row, deleted: false, lsn: commitLSN, syncedAt: now)
            return RowChange(kind: change.kind, row: row, unchanged: unchanged, oldKey: change.oldKey)
        }

        /// Adopts the source's new shape of the table: new columns are appended, changed types replace the old
        /// ones (the target decides whether it can follow), dropped columns stay.
        mutating func follow(relation: TableSchema) throws(FerryError) {
            var map: [Int] = []
            for column in relation.columns {
                if let index = schema.index(of: column.name) {
                    if schema.columns[index].type != column.type {
                        schema.columns[index].type = column.type
                        schema.columns[index].nativeType = column.nativeType
                    }
                    map.append(index)
                } else {
                    var added = column
                    added.nullable = true
                    schema.columns.append(added)
                    map.append(schema.columns.count - 1)
                }
            }
            // A dropped column gets no value from now on, whatever it declared.
            for i in schema.columns.indices where !map.contains(i) && !extras.contains(i) {
                schema.columns[i].nullable = true
            }
            let keys = schema.primaryKey
            for key in keys where relation.column(named: key) == nil {
                throw FerryError(
                    .schema, "key column \(key) is no longer in the source table; resynchronise the table",
                    table: spec.name.description)
            }
            keyIndexes = keys.compactMap { schema.index(of: $0) }
            builder.keyIndexes = keyIndexes
            relationMap = map
            relationKnown = true
            extras = ExtraColumns.Slots(schema)
            sameShape =
                map == Array(schema.columns.indices) && extras.isEmpty && spec.deletes == .hard
        }

        /// Takes the pending changes; the next batch expects about as many keys.
        mutating func take() -> (changes: ChangeSet, count: Int64) {
            let taken = (builder.build(), count)
            builder = ChangeSetBuilder(keyIndexes: keyIndexes, capacity: builder.keyCount)
            count = 0
            return taken
        }
    }

    private(set) var tables: [String: TableState]
    /// The last table a row event named, and its key in `tables` (consecutive changes are mostly to one table).
    private var lastTable: (name: TableName, key: String)?
    private var inTransaction = false
    private var commitLSN = LSN.zero
    private var commitTime: Int64 = 0
    /// Row changes folded into the pending batch, and about how much memory they take.
    private(set) var pendingChanges = 0
    private(set) var pendingBytes = 0
    /// Of `pendingBytes`, those of the transaction in progress (since its start or its last part taken).
    private(set) var transactionBytes = 0
    private(set) var firstChangeAt: Date?
    /// End of the last transaction folded: the position the pending batch reaches.
    private(set) var batchEnd: LSN?
    private(set) var batchCommitTime: Int64?
    /// Source commit time of the first transaction of the pending batch (its oldest change).
    private(set) var batchFirstCommitTime: Int64?
    /// Changes per table in the parts already taken from the transaction in progress: the batch that ends the
    /// transaction counts them and records those tables' positions.
    private var carried: [String: Int64] = [:]

    init(tables: [TableState]) {
        self.tables = Dictionary(uniqueKeysWithValues: tables.map { (Self.key($0.spec.name), $0) })
    }

    static func key(_ name: TableName) -> String { "\(name.schema ?? "public").\(name.name)" }

    var isInTransaction: Bool { inTransaction }
    var hasPending: Bool { batchEnd != nil }

    private mutating func key(_ name: TableName) -> String {
        if let last = lastTable, last.name == name { return last.key }
        let key = Self.key(name)
        lastTable = (name, key)
        return key
    }

    /// What the pending batch holds, for the stream's decisions (`CDCStreamStateMachine`).
    var pending: CDCStreamStateMachine.Pending {
        CDCStreamStateMachine.Pending(
            hasBatch: batchEnd != nil, inTransaction: inTransaction, changes: pendingChanges, bytes: pendingBytes,
            transactionBytes: transactionBytes, firstChangeAt: firstChangeAt,
            newestCommitAt: batchCommitTime.map(CDCBatch.date(micros:)))
    }

    /// Folds one event that arrived at `now` (the time starts a batch's age and fills `_ferry_synced_at`). Throws
    /// when a row cannot be mapped (a schema change Ferry cannot follow).
    mutating func add(_ event: ChangeEvent, now: Date) throws(FerryError) {
        switch event {
        case .begin(let finalLSN, let time):
            inTransaction = true
            transactionBytes = 0
            commitLSN = finalLSN
            commitTime = time
        case .relation(let name, let schema):
            try tables[key(name)]?.follow(relation: schema)
        case .row(let name, let change):
            guard try tables[key(name)]?.fold(change, commitLSN: commitLSN, now: now) == true else { return }
            pendingChanges += 1
            let bytes = change.estimatedBytes
            pendingBytes += bytes
            transactionBytes += bytes
            if firstChangeAt == nil { firstChangeAt = now }
        case .truncate(let names):
            for name in names {
                let key = self.key(name)
                guard let position = tables[key]?.position, commitLSN >= position else { continue }
                tables[key]?.builder.truncate()
                tables[key]?.count += 1
                pendingChanges += 1
                if firstChangeAt == nil { firstChangeAt = now }
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
    /// it reaches. Inside a transaction (one too big for a batch), it takes what is folded so far as a part of that
    /// transaction.
    mutating func take() -> CDCBatch? {
        let position: ChangePosition
        if inTransaction {
            guard pendingChanges > 0 else { return nil }
            position = .partOf(commit: commitLSN)
        } else {
            guard let end = batchEnd else { return nil }
            position = .through(end)
        }
        var batch = CDCBatch(
            position: position, commitTime: batchCommitTime, firstCommitTime: batchFirstCommitTime, tables: [])
        // Keys first: taking mutates `tables`, which must not be copied while its keys are iterated.
        for key in Array(tables.keys)
        where tables[key]?.builder.isEmpty == false || (!inTransaction && carried[key] != nil) {
            guard let (changes, taken) = tables[key]?.take(), let state = tables[key] else { continue }
            var count = taken
            if inTransaction {
                carried[key, default: 0] += count
            } else {
                count += carried.removeValue(forKey: key) ?? 0
            }
            var set = changes
            // Rows folded before a column was added are shorter than the table now is: the new column is NULL.
            let width = state.schema.columns.count
            for (group, rows) in set.upserts where rows.contains(where: { $0.count < width }) {
                set.upserts[group] = rows.map {
                    $0.count < width ? $0 + Array(repeating: nil, count: width - $0.count) : $0
                }
            }
            batch.tables.append(
                CDCBatch.Table(
                    key: key, label: state.spec.name.description, changes: set, schema: state.schema, count: count))
        }
        batchEnd = nil
        batchCommitTime = nil
        batchFirstCommitTime = nil
        pendingChanges = 0
        pendingBytes = 0
        transactionBytes = 0
        firstChangeAt = nil
        return batch
    }

    /// Records that `key`'s target now holds everything before `position`.
    mutating func advance(_ key: String, to position: LSN) {
        if let p = tables[key]?.position, p < position { tables[key]?.position = position }
    }
}
