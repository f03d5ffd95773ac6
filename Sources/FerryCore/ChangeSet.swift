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

extension RowChange {
    /// About how many bytes the change takes in memory once folded (its values and what they point to), so that
    /// batches can be cut by memory, not only by count.
    public var estimatedBytes: Int {
        var bytes = 96 + 32 * oldKey.count
        if let row {
            bytes += 32 + 32 * row.count
            for value in row { bytes += value?.heapBytes ?? 0 }
        }
        return bytes
    }
}

extension ScalarValue {
    /// Bytes stored out of line: text longer than a small string, and byte arrays.
    var heapBytes: Int {
        switch self {
        case .text(let s):
            let count = s.utf8.count
            return count > 15 ? count + 32 : 0
        case .bytes(let b): return b.count + 32
        case .list(let values), .structure(let values):
            return 32 + 32 * values.count + values.reduce(0) { $0 + ($1?.heapBytes ?? 0) }
        default: return 0
        }
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
///
/// A change stream folds every change through here, so it is built for that: a single integer key (the common
/// primary key) is looked up by its `Int64`, with no array built or hashed per change.
public struct ChangeSetBuilder: Sendable {
    private enum Final: Sendable {
        case deleted(key: [ScalarValue?])
        case row([ScalarValue?], unchanged: Set<Int>)
    }

    /// A key as looked up: a single integer column by its value, any other key by its values.
    private enum Key: Hashable, Sendable {
        case int(Int64)
        case values([ScalarValue?])
    }

    /// Positions of the key columns in the rows.
    public var keyIndexes: [Int]
    /// Each key's final state, in the order keys were first touched.
    private var finals: [Final] = []
    /// Where each key's final state is in `finals`.
    private var slots: [Key: Int] = [:]
    private var truncated = false

    /// `capacity`: the number of keys expected (the size of the previous batch), to spare the table's regrowth.
    public init(keyIndexes: [Int], capacity: Int = 0) {
        self.keyIndexes = keyIndexes
        if capacity > 0 {
            finals.reserveCapacity(capacity)
            slots.reserveCapacity(capacity)
        }
    }

    /// Distinct keys touched since the start or the last truncate.
    public var keyCount: Int { finals.count }

    public var isEmpty: Bool { !truncated && finals.isEmpty }

    /// The table was emptied: everything folded so far is void.
    public mutating func truncate() {
        finals = []
        slots = [:]
        truncated = true
    }

    public mutating func add(_ change: RowChange) {
        switch change.kind {
        case .delete:
            remember(key(change.oldKey), .deleted(key: change.oldKey))
        case .insert, .update:
            guard let row = change.row else { return }
            let key = rowKey(row)
            if change.kind == .update {
                let old = self.key(change.oldKey)
                if old != key { remember(old, .deleted(key: change.oldKey)) }
            }
            var unchanged = change.unchanged
            // An unchanged column whose value this batch already knows takes that value.
            if !unchanged.isEmpty, let slot = slots[key], case .row(let previous, let previousUnchanged) = finals[slot]
            {
                var merged = row
                for c in unchanged where !previousUnchanged.contains(c) && c < previous.count {
                    merged[c] = previous[c]
                    unchanged.remove(c)
                }
                remember(key, .row(merged, unchanged: unchanged))
            } else {
                remember(key, .row(row, unchanged: unchanged))
            }
        }
    }

    private func key(_ values: [ScalarValue?]) -> Key {
        if values.count == 1, case .int(let v)? = values[0] { return .int(v) }
        return .values(values)
    }

    private func rowKey(_ row: [ScalarValue?]) -> Key {
        if keyIndexes.count == 1 {
            let i = keyIndexes[0]
            if i < row.count, case .int(let v)? = row[i] { return .int(v) }
        }
        return .values(keyIndexes.map { $0 < row.count ? row[$0] : nil })
    }

    private mutating func remember(_ key: Key, _ final: Final) {
        if let slot = slots[key] {
            finals[slot] = final
        } else {
            slots[key] = finals.count
            finals.append(final)
        }
    }

    /// The net effect, keys in the order they were first touched.
    public func build() -> ChangeSet {
        var set = ChangeSet()
        set.truncated = truncated
        var plain: [[ScalarValue?]] = []
        plain.reserveCapacity(finals.count)
        for final in finals {
            switch final {
            case .deleted(let key): set.deletes.append(key)
            case .row(let row, let unchanged) where unchanged.isEmpty: plain.append(row)
            case .row(let row, let unchanged): set.upserts[unchanged, default: []].append(row)
            }
        }
        if !plain.isEmpty { set.upserts[[]] = plain }
        return set
    }
}
