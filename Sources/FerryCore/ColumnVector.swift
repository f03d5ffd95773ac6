/// Variable-length values (text, bytes, uuids, json, unconstrained numerics) packed into one contiguous buffer.
///
/// One allocation per column per batch instead of one per value: the reader copies wire bytes straight in and the
/// writer hands slices straight out.
public struct BinaryArray: Sendable, Hashable {
    /// `offsets[i] ..< offsets[i + 1]` is the value at `i`; `offsets.count == count + 1`.
    public private(set) var offsets: [Int]
    public private(set) var data: [UInt8]

    public init(capacity: Int = 0, byteCapacity: Int = 0) {
        offsets = [0]
        offsets.reserveCapacity(capacity + 1)
        data = []
        data.reserveCapacity(byteCapacity)
    }

    /// Adopts already packed buffers (a Parquet BYTE_ARRAY column, say) as they are, without copying value by value.
    public init(offsets: [Int], data: [UInt8]) {
        precondition(offsets.first == 0 && offsets.last == data.count, "offsets must span data from 0")
        self.offsets = offsets
        self.data = data
    }

    public var count: Int { offsets.count - 1 }

    /// The values in `runs` (ascending, non-overlapping row ranges), copied one run at a time.
    public func gathering(_ runs: [Range<Int>], rows: Int) -> BinaryArray {
        var bytes = 0
        for run in runs { bytes += offsets[run.upperBound] - offsets[run.lowerBound] }
        var out = BinaryArray(capacity: rows, byteCapacity: bytes)
        for run in runs {
            let shift = out.data.count - offsets[run.lowerBound]
            out.data.append(contentsOf: data[offsets[run.lowerBound]..<offsets[run.upperBound]])
            out.offsets.append(contentsOf: offsets[(run.lowerBound + 1)...run.upperBound].lazy.map { $0 + shift })
        }
        return out
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        data.append(contentsOf: bytes)
        offsets.append(data.count)
    }

    public mutating func append(_ raw: UnsafeRawBufferPointer) {
        data.append(contentsOf: raw)
        offsets.append(data.count)
    }

    public mutating func append(string: String) {
        var s = string
        s.withUTF8 { data.append(contentsOf: $0) }
        offsets.append(data.count)
    }

    public mutating func appendEmpty() {
        offsets.append(data.count)
    }

    public subscript(i: Int) -> ArraySlice<UInt8> {
        data[offsets[i]..<offsets[i + 1]]
    }

    public func string(at i: Int) -> String {
        String(decoding: self[i], as: UTF8.self)
    }
}

/// One column of a `RecordBatch`: a typed array plus a validity mask (`false` = NULL).
///
/// NULL slots hold a zero value in the typed array so that positions line up.
public struct ColumnVector: Sendable, Hashable {
    public enum Values: Sendable, Hashable {
        case boolean([Bool])
        case int64([Int64])
        case float64([Double])
        case decimal([Int128])
        case bytes(BinaryArray)
    }

    public var values: Values
    public private(set) var validity: [Bool]

    public init(kind: ColumnStorageKind, capacity: Int = 0) {
        switch kind {
        case .boolean:
            var a = [Bool]()
            a.reserveCapacity(capacity)
            values = .boolean(a)
        case .int64:
            var a = [Int64]()
            a.reserveCapacity(capacity)
            values = .int64(a)
        case .float64:
            var a = [Double]()
            a.reserveCapacity(capacity)
            values = .float64(a)
        case .decimal:
            var a = [Int128]()
            a.reserveCapacity(capacity)
            values = .decimal(a)
        case .bytes:
            values = .bytes(BinaryArray(capacity: capacity))
        }
        validity = []
        validity.reserveCapacity(capacity)
    }

    /// Adopts whole arrays (one slot per row, zero in NULL slots), for readers that decode a column at once.
    public init(values: Values, validity: [Bool]) {
        precondition(values.count == validity.count, "one validity flag per value")
        self.values = values
        self.validity = validity
    }

    public var count: Int { validity.count }

    /// The rows in `runs` (ascending, non-overlapping ranges), copied one run at a time rather than value by value:
    /// filtering a batch is then a few bulk copies per column.
    public func gathering(_ runs: [Range<Int>]) -> ColumnVector {
        let rows = runs.reduce(0) { $0 + $1.count }
        var kept = [Bool]()
        kept.reserveCapacity(rows)
        for run in runs { kept.append(contentsOf: validity[run]) }
        switch values {
        case .boolean(let a): return ColumnVector(values: .boolean(Self.gather(a, runs, rows)), validity: kept)
        case .int64(let a): return ColumnVector(values: .int64(Self.gather(a, runs, rows)), validity: kept)
        case .float64(let a): return ColumnVector(values: .float64(Self.gather(a, runs, rows)), validity: kept)
        case .decimal(let a): return ColumnVector(values: .decimal(Self.gather(a, runs, rows)), validity: kept)
        case .bytes(let b): return ColumnVector(values: .bytes(b.gathering(runs, rows: rows)), validity: kept)
        }
    }

    private static func gather<T>(_ a: [T], _ runs: [Range<Int>], _ rows: Int) -> [T] {
        var out = [T]()
        out.reserveCapacity(rows)
        for run in runs { out.append(contentsOf: a[run]) }
        return out
    }

    public func isNull(_ i: Int) -> Bool { !validity[i] }

    public mutating func appendNull() {
        switch values {
        case .boolean(var a):
            values = .int64([])
            a.append(false)
            values = .boolean(a)
        case .int64(var a):
            values = .boolean([])
            a.append(0)
            values = .int64(a)
        case .float64(var a):
            values = .boolean([])
            a.append(0)
            values = .float64(a)
        case .decimal(var a):
            values = .boolean([])
            a.append(0)
            values = .decimal(a)
        case .bytes(var a):
            values = .boolean([])
            a.appendEmpty()
            values = .bytes(a)
        }
        validity.append(false)
    }

    public mutating func append(_ v: Bool) {
        guard case .boolean(var a) = values else { preconditionFailure("append(Bool) on \(values.kind) column") }
        values = .int64([])
        a.append(v)
        values = .boolean(a)
        validity.append(true)
    }

    public mutating func append(_ v: Int64) {
        guard case .int64(var a) = values else { preconditionFailure("append(Int64) on \(values.kind) column") }
        values = .boolean([])
        a.append(v)
        values = .int64(a)
        validity.append(true)
    }

    public mutating func append(_ v: Double) {
        guard case .float64(var a) = values else { preconditionFailure("append(Double) on \(values.kind) column") }
        values = .boolean([])
        a.append(v)
        values = .float64(a)
        validity.append(true)
    }

    public mutating func append(decimal v: Int128) {
        guard case .decimal(var a) = values else { preconditionFailure("append(decimal:) on \(values.kind) column") }
        values = .boolean([])
        a.append(v)
        values = .decimal(a)
        validity.append(true)
    }

    public mutating func append(bytes raw: UnsafeRawBufferPointer) {
        guard case .bytes(var a) = values else { preconditionFailure("append(bytes:) on \(values.kind) column") }
        values = .boolean([])
        a.append(raw)
        values = .bytes(a)
        validity.append(true)
    }

    public mutating func append<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard case .bytes(var a) = values else { preconditionFailure("append(bytes:) on \(values.kind) column") }
        values = .boolean([])
        a.append(bytes)
        values = .bytes(a)
        validity.append(true)
    }

    public mutating func append(string: String) {
        guard case .bytes(var a) = values else { preconditionFailure("append(string:) on \(values.kind) column") }
        values = .boolean([])
        a.append(string: string)
        values = .bytes(a)
        validity.append(true)
    }

    // Typed accessors for writers. Each traps if asked for the wrong storage, which is a programming error.
    public func bool(at i: Int) -> Bool {
        guard case .boolean(let a) = values else { preconditionFailure("bool(at:) on \(values.kind) column") }
        return a[i]
    }

    public func int64(at i: Int) -> Int64 {
        guard case .int64(let a) = values else { preconditionFailure("int64(at:) on \(values.kind) column") }
        return a[i]
    }

    public func float64(at i: Int) -> Double {
        guard case .float64(let a) = values else { preconditionFailure("float64(at:) on \(values.kind) column") }
        return a[i]
    }

    public func decimal(at i: Int) -> Int128 {
        guard case .decimal(let a) = values else { preconditionFailure("decimal(at:) on \(values.kind) column") }
        return a[i]
    }

    public func bytes(at i: Int) -> ArraySlice<UInt8> {
        guard case .bytes(let a) = values else { preconditionFailure("bytes(at:) on \(values.kind) column") }
        return a[i]
    }

    public func string(at i: Int) -> String {
        String(decoding: bytes(at: i), as: UTF8.self)
    }
}

extension ColumnVector.Values {
    /// The number of slots, NULL ones included.
    public var count: Int {
        switch self {
        case .boolean(let a): a.count
        case .int64(let a): a.count
        case .float64(let a): a.count
        case .decimal(let a): a.count
        case .bytes(let b): b.count
        }
    }

    var kind: ColumnStorageKind {
        switch self {
        case .boolean: .boolean
        case .int64: .int64
        case .float64: .float64
        case .decimal: .decimal
        case .bytes: .bytes
        }
    }
}

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
        self.vectors = columns.map { ColumnVector(kind: $0.type.storage, capacity: capacity) }
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
        vectors.reduce(0) { total, v in
            switch v.values {
            case .boolean(let a): total + a.count
            case .int64(let a): total + a.count * 8
            case .float64(let a): total + a.count * 8
            case .decimal(let a): total + a.count * 16
            case .bytes(let b): total + b.data.count + b.offsets.count * 8
            }
        }
    }
}
