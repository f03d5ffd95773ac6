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
