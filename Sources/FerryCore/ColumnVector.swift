/// One column of a `RecordBatch`: a typed array plus a validity mask (`false` = NULL).
///
/// NULL slots hold a zero value in the typed array so that positions line up; a NULL list row has an empty range
/// and a NULL structure row holds NULL in every field.
///
/// Mutators swap `values` out (for an empty placeholder) before changing the array they took, so the array stays
/// uniquely referenced and appends are amortized O(1) instead of a copy of the whole column.
public struct ColumnVector: Sendable, Hashable {
    public enum Values: Sendable, Hashable {
        case boolean([Bool])
        case int64([Int64])
        case float64([Double])
        case decimal([Int128])
        case bytes(BinaryArray)
        /// Row `i`'s elements are `elements[offsets[i] ..< offsets[i + 1]]`; `offsets.count == rows + 1`,
        /// `offsets[0] == 0`. The elements of every row in one child vector, each element nullable.
        indirect case list(offsets: [Int], elements: ColumnVector)
        /// One child vector per field, each with one slot per row.
        indirect case structure([ColumnVector])
    }

    public var values: Values
    public internal(set) var validity: [Bool]

    /// An empty vector for values of `type`, nested children included.
    public init(type: ColumnType, capacity: Int = 0) {
        switch type {
        case .list(let element):
            var offsets = [0]
            offsets.reserveCapacity(capacity + 1)
            var flags = [Bool]()
            flags.reserveCapacity(capacity)
            self.init(
                values: .list(offsets: offsets, elements: ColumnVector(type: element, capacity: capacity)),
                validity: flags)
        case .structure(let fields):
            var flags = [Bool]()
            flags.reserveCapacity(capacity)
            self.init(
                values: .structure(fields.map { ColumnVector(type: $0.type, capacity: capacity) }), validity: flags)
        default:
            self.init(kind: type.storage, capacity: capacity)
        }
    }

    /// An empty vector of a flat storage kind. Nested kinds need their children's types: use `init(type:)`, which
    /// every caller holding a `ColumnType` should prefer (here `.list` gets text elements and `.structure` none).
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
        case .list:
            values = .list(offsets: [0], elements: ColumnVector(kind: .bytes))
        case .structure:
            values = .structure([])
        }
        validity = []
        validity.reserveCapacity(capacity)
    }

    /// Adopts whole arrays (one slot per row, zero in NULL slots), for readers that decode a column at once.
    public init(values: Values, validity: [Bool]) {
        precondition(
            values.count == validity.count || values == .structure([]), "one validity flag per value")
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
        case .list(let offsets, let elements):
            var out = [0]
            out.reserveCapacity(rows + 1)
            var elementRuns: [Range<Int>] = []
            for run in runs {
                let first = offsets[run.lowerBound]
                let shift = out[out.count - 1] - first
                out.append(contentsOf: offsets[(run.lowerBound + 1)...run.upperBound].lazy.map { $0 + shift })
                if offsets[run.upperBound] > first { elementRuns.append(first..<offsets[run.upperBound]) }
            }
            return ColumnVector(
                values: .list(offsets: out, elements: elements.gathering(elementRuns)), validity: kept)
        case .structure(let children):
            return ColumnVector(values: .structure(children.map { $0.gathering(runs) }), validity: kept)
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
        case .list(var offsets, let elements):
            values = .boolean([])
            offsets.append(offsets[offsets.count - 1])
            values = .list(offsets: offsets, elements: elements)
        case .structure(var children):
            values = .boolean([])
            for i in children.indices { children[i].appendNull() }
            values = .structure(children)
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
        case .list(let offsets, _): offsets.count - 1
        case .structure(let children): children.first?.count ?? 0
        }
    }

    var kind: ColumnStorageKind {
        switch self {
        case .boolean: .boolean
        case .int64: .int64
        case .float64: .float64
        case .decimal: .decimal
        case .bytes: .bytes
        case .list: .list
        case .structure: .structure
        }
    }
}
