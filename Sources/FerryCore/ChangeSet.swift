/// One row change from a change stream, in source order.
public struct RowChange: Sendable {
    public enum Kind: Sendable, Hashable {
        case insert
        case update
        case delete
    }

    public var kind: Kind
    /// The full new row for inserts and updates (columns in table order); for deletes, `nil`.
    public var row: [ScalarValue?]?
    /// Columns whose new value was not sent (TOASTed and unchanged): the target keeps its current value.
    public var unchanged: Set<Int>
    /// The key of the row before the change (differs from the new row's key when an update changed the key).
    public var oldKey: [ScalarValue?]

    public init(kind: Kind, row: [ScalarValue?]?, unchanged: Set<Int> = [], oldKey: [ScalarValue?]) {
        self.kind = kind
        self.row = row
        self.unchanged = unchanged
        self.oldKey = oldKey
    }
}

/// The net effect of a run of changes on one table: what to delete, what to upsert, whether it was truncated.
///
/// Only each key's final state survives, so a batch of a million updates to one row writes one row. Applying a
/// change set is idempotent: applying it twice gives the same table, which is what makes replays after a crash
/// harmless even before the LSN check skips them.
public struct ChangeSet: Sendable {
    /// The table was truncated; `deletes` and `upserts` are what happened after the last truncate.
    public var truncated = false
    /// Keys to delete (keys that ended deleted, and old keys of rows whose key changed).
    public var deletes: [[ScalarValue?]] = []
    /// Final rows by key, grouped by the set of unchanged (TOAST) columns they carry.
    public var upserts: [Set<Int>: [[ScalarValue?]]] = [:]

    public init() {}

    public var isEmpty: Bool { !truncated && deletes.isEmpty && upserts.isEmpty }

    public var upsertCount: Int { upserts.values.reduce(0) { $0 + $1.count } }

    /// Folds `changes` (in commit order) into their net effect, keyed by the columns at `keyIndexes`.
    public static func fold(_ changes: [RowChange], keyIndexes: [Int]) -> ChangeSet {
        var builder = ChangeSetBuilder(keyIndexes: keyIndexes)
        for change in changes { builder.add(change) }
        return builder.build()
    }
}

/// Folds a table's changes, one at a time and in commit order, into a `ChangeSet`; memory grows with the number of
/// distinct keys touched, not with the number of changes.
public struct ChangeSetBuilder: Sendable {
    private enum Final: Sendable {
        case deleted
        case row([ScalarValue?], unchanged: Set<Int>)
    }

    /// Positions of the key columns in the rows.
    public var keyIndexes: [Int]
    private var finals: [[ScalarValue?]: Final] = [:]
    private var order: [[ScalarValue?]] = []
    private var truncated = false

    public init(keyIndexes: [Int]) {
        self.keyIndexes = keyIndexes
    }

    /// Distinct keys touched since the start or the last truncate.
    public var keyCount: Int { finals.count }

    public var isEmpty: Bool { !truncated && finals.isEmpty }

    /// The table was emptied: everything folded so far is void.
    public mutating func truncate() {
        finals = [:]
        order = []
        truncated = true
    }

    public mutating func add(_ change: RowChange) {
        switch change.kind {
        case .delete:
            remember(change.oldKey, .deleted)
        case .insert, .update:
            guard let row = change.row else { return }
            let key = keyIndexes.map { row[$0] }
            if change.kind == .update && change.oldKey != key { remember(change.oldKey, .deleted) }
            var merged = row
            var unchanged = change.unchanged
            // An unchanged column whose value this batch already knows takes that value.
            if !unchanged.isEmpty, case .row(let previous, let previousUnchanged)? = finals[key] {
                for c in unchanged where !previousUnchanged.contains(c) && c < previous.count {
                    merged[c] = previous[c]
                    unchanged.remove(c)
                }
            }
            remember(key, .row(merged, unchanged: unchanged))
        }
    }

    private mutating func remember(_ key: [ScalarValue?], _ final: Final) {
        if finals.updateValue(final, forKey: key) == nil { order.append(key) }
    }

    /// The net effect, keys in the order they were first touched.
    public func build() -> ChangeSet {
        var set = ChangeSet()
        set.truncated = truncated
        for key in order {
            switch finals[key] {
            case .deleted?: set.deletes.append(key)
            case .row(let row, let unchanged)?: set.upserts[unchanged, default: []].append(row)
            case nil: break
            }
        }
        return set
    }
}
