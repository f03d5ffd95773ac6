/// A slice of a table in columnar form: the unit that moves from a source to a destination.
public struct RecordBatch: Sendable {
    public let columns: [Column]
    public var vectors: [ColumnVector]

    public init(columns: [Column], vectors: [ColumnVector]) {
        precondition(columns.count == vectors.count, "one vector per column")
        self.columns = columns
        self.vectors = vectors
    }

    /// An empty batch with storage reserved for `capacity` rows.
    public init(columns: [Column], capacity: Int) {
        self.columns = columns
        self.vectors = columns.map { ColumnVector(type: $0.type, capacity: capacity) }
    }

    public var rowCount: Int { vectors.first?.count ?? 0 }

    /// The rows where `keep` is true; the batch itself when every row is kept (no copy at all).
    public func filtered(_ keep: [Bool]) -> RecordBatch {
        let runs = Self.runs(of: keep)
        if runs.count == 1, runs[0] == 0..<rowCount { return self }
        return RecordBatch(columns: columns, vectors: vectors.map { $0.gathering(runs) })
    }

    /// The ranges of consecutive `true`s in `keep`, in order.
    static func runs(of keep: [Bool]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int?
        for (i, k) in keep.enumerated() {
            if k, start == nil { start = i }
            if !k, let s = start {
                runs.append(s..<i)
                start = nil
            }
        }
        if let s = start { runs.append(s..<keep.count) }
        return runs
    }

    /// Approximate size of the batch's buffers, for progress and memory accounting.
    public var byteCount: Int {
        vectors.reduce(0) { $0 + $1.byteCount }
    }
}
