import FerryCore

/// Finds the rows of a row group whose key is among a merge's incoming keys, and what to capture from them.
///
/// A single key column of integer storage (the common primary key) is tested as raw `Int64`s against a
/// `Set<Int64>`, so no key array is built or hashed per row; any other key goes through `[ScalarValue]` keys
/// (`MergeRewriter.key(of:row:at:)`).
struct KeyMatcher: Sendable {
    /// The keys whose rows are dropped, in the form they are tested in.
    enum Keys: Sendable {
        /// Integer values of a single-column key, none of them NULL, with the capture list per value.
        case int64(Set<Int64>, capture: [Int64: [Int]])
        case general(Set<[ScalarValue]>, capture: [[ScalarValue]: [Int]])
    }

    let keys: Keys
    /// Indexes of the key columns in the batches tested.
    let keyIndexes: [Int]
    /// Integer keys as a bitmap, when they are dense enough for one (the ids of a table usually are).
    let bitmap: KeyBitmap?

    init(keys: Set<[ScalarValue]>, capture: [[ScalarValue]: [Int]], keyColumns: [String], columns: [Column]) {
        keyIndexes = keyColumns.compactMap { name in columns.firstIndex { $0.name == name } }
        if keyIndexes.count == 1, keyColumns.count == 1,
            let ints = Self.integers(keys, capture: capture, type: columns[keyIndexes[0]].type)
        {
            self.keys = ints
        } else {
            self.keys = .general(keys, capture: capture)
        }
        if case .int64(let ints, _) = self.keys { bitmap = KeyBitmap(ints) } else { bitmap = nil }
    }

    /// The keys as `Int64`s when the key column has integer storage and each key is exactly what a data file's
    /// value reads back as (so the two paths match the same rows); `nil` otherwise, NULL keys included.
    static func integers(_ keys: Set<[ScalarValue]>, capture: [[ScalarValue]: [Int]], type: ColumnType) -> Keys? {
        guard type.storage == .int64 else { return nil }
        var ints = Set<Int64>(minimumCapacity: keys.count)
        for key in keys {
            guard key.count == 1, let v = integer(key[0], type: type) else { return nil }
            ints.insert(v)
        }
        var wanted: [Int64: [Int]] = [:]
        for (key, indexes) in capture {
            guard key.count == 1, let v = integer(key[0], type: type) else { return nil }
            wanted[v] = indexes
        }
        return .int64(ints, capture: wanted)
    }

    /// The stored value behind `value` when a vector of `type` holding it reads back as `value` (the cases of
    /// `ScalarValue(vector:row:type:)` for integer storage); `nil` for anything else, which no row can match.
    static func integer(_ value: ScalarValue, type: ColumnType) -> Int64? {
        switch (type, value) {
        case (.int16, .int(let v)), (.int32, .int(let v)), (.int64, .int(let v)), (.time, .int(let v)): v
        case (.date, .date(let v)): v
        case (.timestamp, .timestamp(let v, false)), (.timestampTZ, .timestamp(let v, true)): v
        default: nil
        }
    }

    /// The rows of `batch` holding one of the keys, in order.
    func droppedRows(of batch: RecordBatch) -> [Int] {
        var rows: [Int] = []
        switch keys {
        case .int64(let ints, _):
            let vector = batch.vectors[keyIndexes[0]]
            guard case .int64(let values) = vector.values else { return [] }
            if let bitmap {
                for r in values.indices where bitmap.contains(values[r]) && !vector.isNull(r) { rows.append(r) }
            } else {
                for r in values.indices where ints.contains(values[r]) && !vector.isNull(r) { rows.append(r) }
            }
        case .general(let set, _):
            for r in 0..<batch.rowCount where set.contains(MergeRewriter.key(of: batch, row: r, at: keyIndexes)) {
                rows.append(r)
            }
        }
        return rows
    }

    /// For a dropped row whose key wants unchanged columns carried over: its key (as `ChangedRows` looks it up)
    /// and the indexes of the columns to capture.
    func capture(of batch: RecordBatch, row: Int) -> ([ScalarValue], [Int])? {
        switch keys {
        case .int64(_, let capture):
            guard !capture.isEmpty, let wanted = capture[batch.vectors[keyIndexes[0]].int64(at: row)] else {
                return nil
            }
            return (MergeRewriter.key(of: batch, row: row, at: keyIndexes), wanted)
        case .general(_, let capture):
            guard !capture.isEmpty else { return nil }
            let key = MergeRewriter.key(of: batch, row: row, at: keyIndexes)
            return capture[key].map { (key, $0) }
        }
    }
}

/// A set of integers as one bit per value between the smallest and the largest: a lookup is a subtraction and a
/// bit test on a small array that stays in cache, where `Set<Int64>` hashes every value and misses the cache.
struct KeyBitmap: Sendable {
    private let low: Int64
    private let span: UInt64
    private let words: [UInt64]

    /// Most bits spent per key: beyond this the keys are too sparse and a hash set is smaller.
    static let maxBitsPerKey: UInt64 = 64

    /// `nil` when `keys` is empty or too sparse.
    init?(_ keys: Set<Int64>) {
        guard let low = keys.min(), let high = keys.max() else { return nil }
        let span = UInt64(bitPattern: high &- low)
        guard span / Self.maxBitsPerKey < UInt64(keys.count) else { return nil }
        var words = [UInt64](repeating: 0, count: Int(span >> 6) + 1)
        for key in keys {
            let d = UInt64(bitPattern: key &- low)
            words[Int(d >> 6)] |= 1 << (d & 63)
        }
        self.low = low
        self.span = span
        self.words = words
    }

    func contains(_ value: Int64) -> Bool {
        let d = UInt64(bitPattern: value &- low)
        return d <= span && words[Int(d >> 6)] & (1 << (d & 63)) != 0
    }
}
