/// How a column's values compare for min/max statistics (the `TypeDefinedOrder` of parquet.thrift `ColumnOrder`).
enum StatOrder {
    /// Signed integers, dates, timestamps, INT32/INT64 decimals; booleans (false < true).
    case signed
    /// Unsigned integers (INTEGER(signed: false)); strings and binary (byte-wise).
    case unsigned
    /// FLOAT/DOUBLE: numeric order, NaN never recorded.
    case floating
    /// Decimals stored as big-endian two's complement bytes.
    case signedBytes

    init(_ field: ParquetField) {
        switch (field.physicalType, field.logicalType) {
        case (.float, _), (.double, _): self = .floating
        case (.int32, .integer(_, false)), (.int64, .integer(_, false)): self = .unsigned
        case (.int32, _), (.int64, _), (.boolean, _): self = .signed
        case (.byteArray, .decimal), (.fixedLenByteArray, .decimal): self = .signedBytes
        case (.byteArray, _), (.fixedLenByteArray, _): self = .unsigned
        }
    }
}

/// Compares two byte strings: unsigned byte-wise, or as big-endian two's complement integers.
@inline(__always)
func bytesLess(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer, signed: Bool) -> Bool {
    if signed {
        let lhsNegative = lhs.first.map { $0 & 0x80 != 0 } ?? false
        let rhsNegative = rhs.first.map { $0 & 0x80 != 0 } ?? false
        if lhsNegative != rhsNegative { return lhsNegative }
        if lhs.count != rhs.count {
            // Sign-extend the shorter one by comparing its missing high bytes with the sign fill.
            let fill: UInt8 = lhsNegative ? 0xFF : 0x00
            let longer = max(lhs.count, rhs.count)
            for index in 0..<longer {
                let left = index < longer - lhs.count ? fill : lhs[index - (longer - lhs.count)]
                let right = index < longer - rhs.count ? fill : rhs[index - (longer - rhs.count)]
                if left != right { return left < right }
            }
            return false
        }
    }
    let common = min(lhs.count, rhs.count)
    // Most strings differ in their first eight bytes: compare those as one big-endian word before memcmp.
    if common >= 8 {
        let left = lhs.loadUnaligned(as: UInt64.self).bigEndian
        let right = rhs.loadUnaligned(as: UInt64.self).bigEndian
        if left != right { return left < right }
    }
    let order = memcmpBytes(lhs.baseAddress, rhs.baseAddress, common)
    if order != 0 { return order < 0 }
    return lhs.count < rhs.count
}

extension StatValue {
    /// `self < other` under `order`. Both must be the same case.
    func isLess(than other: StatValue, order: StatOrder) -> Bool {
        switch (self, other) {
        case (.boolean(let lhs), .boolean(let rhs)): return !lhs && rhs
        case (.int32(let lhs), .int32(let rhs)):
            return order == .unsigned ? UInt32(bitPattern: lhs) < UInt32(bitPattern: rhs) : lhs < rhs
        case (.int64(let lhs), .int64(let rhs)):
            return order == .unsigned ? UInt64(bitPattern: lhs) < UInt64(bitPattern: rhs) : lhs < rhs
        case (.float(let lhs), .float(let rhs)): return lhs < rhs
        case (.double(let lhs), .double(let rhs)): return lhs < rhs
        case (.bytes(let lhs), .bytes(let rhs)):
            return lhs.withUnsafeBytes { left in
                rhs.withUnsafeBytes { right in bytesLess(left, right, signed: order == .signedBytes) }
            }
        default: return false
        }
    }

    /// The PLAIN encoding of the value, without a length prefix: what `Statistics.min_value` holds.
    var encoded: [UInt8] {
        switch self {
        case .boolean(let value): [value ? 1 : 0]
        case .int32(let value): withUnsafeBytes(of: value.littleEndian) { Array($0) }
        case .int64(let value): withUnsafeBytes(of: value.littleEndian) { Array($0) }
        case .float(let value): withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        case .double(let value): withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        case .bytes(let value): value
        }
    }

    /// Decodes a `min_value`/`max_value` of a column of physical type `type`.
    init?(encoded bytes: [UInt8], type: PhysicalType) {
        func load<T>(_: T.Type) -> T? {
            guard bytes.count == MemoryLayout<T>.size else { return nil }
            return bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
        }
        switch type {
        case .boolean:
            guard let byte = bytes.first else { return nil }
            self = .boolean(byte != 0)
        case .int32:
            guard let value = load(Int32.self) else { return nil }
            self = .int32(value)
        case .int64:
            guard let value = load(Int64.self) else { return nil }
            self = .int64(value)
        case .float:
            guard let value = load(UInt32.self) else { return nil }
            self = .float(Float(bitPattern: value))
        case .double:
            guard let value = load(UInt64.self) else { return nil }
            self = .double(Double(bitPattern: value))
        case .byteArray, .fixedLenByteArray: self = .bytes(bytes)
        }
    }
}

/// Min, max and NULL count of one column, merged over pages, batches or row groups.
struct StatsAccumulator {
    let order: StatOrder
    var nullCount = 0
    private(set) var min: StatValue?
    private(set) var max: StatValue?

    init(order: StatOrder) {
        self.order = order
    }

    mutating func merge(min newMin: StatValue, max newMax: StatValue) {
        if let min { if newMin.isLess(than: min, order: order) { self.min = newMin } } else { min = newMin }
        if let max { if max.isLess(than: newMax, order: order) { self.max = newMax } } else { max = newMax }
    }

    mutating func merge(_ other: StatsAccumulator) {
        nullCount += other.nullCount
        if let otherMin = other.min, let otherMax = other.max { merge(min: otherMin, max: otherMax) }
    }

    /// The statistics as written to `ColumnMetaData`, with -0.0 as a float minimum and +0.0 as a maximum so that
    /// readers skipping on either zero stay correct (parquet.thrift `ColumnOrder`).
    var thrift: Statistics {
        var statistics = Statistics()
        statistics.nullCount = Int64(nullCount)
        if var min, var max {
            switch (min, max) {
            case (.float(let low), .float(let high)):
                if low == 0 { min = .float(-0.0) }
                if high == 0 { max = .float(0.0) }
            case (.double(let low), .double(let high)):
                if low == 0 { min = .double(-0.0) }
                if high == 0 { max = .double(0.0) }
            default: break
            }
            statistics.minValue = min.encoded
            statistics.maxValue = max.encoded
        }
        return statistics
    }
}

/// Typed min/max scans over a contiguous batch, so the hot loop has no enum boxing.
enum MinMax {
    static func integers<T: FixedWidthInteger>(
        _ values: UnsafeBufferPointer<T>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>
    ) -> (T, T)? {
        var low = T.max
        var high = T.min
        var any = false
        if let validity {
            for row in range where validity[row] {
                low = Swift.min(low, values[row])
                high = Swift.max(high, values[row])
                any = true
            }
        } else {
            for row in range {
                low = Swift.min(low, values[row])
                high = Swift.max(high, values[row])
            }
            any = !range.isEmpty
        }
        return any ? (low, high) : nil
    }

    static func floats<T: BinaryFloatingPoint>(
        _ values: UnsafeBufferPointer<T>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>
    ) -> (T, T)? {
        var low = T.infinity
        var high = -T.infinity
        var any = false
        for row in range where validity?[row] ?? true {
            let value = values[row]
            if value.isNaN { continue }
            if value < low { low = value }
            if value > high { high = value }
            any = true
        }
        return any ? (low, high) : nil
    }
}
