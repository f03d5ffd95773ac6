import Foundation

/// A single typed value: a watermark, a filter bound, a primary key in an error message.
public enum ScalarValue: Sendable, Hashable {
    case int(Int64)
    case double(Double)
    /// Unscaled decimal and its scale.
    case decimal(Int128, scale: Int)
    case text(String)
    /// Raw bytes (bytea, blobs).
    case bytes([UInt8])
    /// Days since 1970-01-01.
    case date(Int64)
    /// Microseconds since 1970-01-01 (UTC when `zoned`).
    case timestamp(Int64, zoned: Bool)

    /// Reads the value at `row` of `vector`, interpreting it as `type`; `nil` for NULL.
    public init?(vector: ColumnVector, row: Int, type: ColumnType) {
        if vector.isNull(row) { return nil }
        switch type {
        case .boolean: self = .int(vector.bool(at: row) ? 1 : 0)
        case .int16, .int32, .int64, .time: self = .int(vector.int64(at: row))
        case .date: self = .date(vector.int64(at: row))
        case .timestamp: self = .timestamp(vector.int64(at: row), zoned: false)
        case .timestampTZ: self = .timestamp(vector.int64(at: row), zoned: true)
        case .float32, .float64: self = .double(vector.float64(at: row))
        case .decimal(_, let scale): self = .decimal(vector.decimal(at: row), scale: scale)
        case .numeric, .text, .json, .jsonb: self = .text(vector.string(at: row))
        case .bytes: self = .bytes(Array(vector.bytes(at: row)))
        case .uuid: self = .text(UUIDText.format(Array(vector.bytes(at: row))))
        }
    }

    /// The value moved back by `days` (for look-back buffers); other kinds are returned unchanged.
    public func minus(days: Int) -> ScalarValue {
        switch self {
        case .date(let d): .date(d - Int64(days))
        case .timestamp(let us, let zoned): .timestamp(us - Int64(days) * 86_400_000_000, zoned: zoned)
        default: self
        }
    }
}

extension ScalarValue: CustomStringConvertible {
    /// A human and SQL friendly rendering: ISO-8601 for dates and timestamps.
    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .decimal(let v, let scale): DecimalText.format(unscaled: v, scale: scale)
        case .text(let s): s
        case .bytes(let b): "\\x" + b.map { String(format: "%02x", $0) }.joined()
        case .date(let d): TimeText.formatDate(days: d)
        case .timestamp(let us, let zoned): TimeText.formatTimestamp(micros: us, zoned: zoned)
        }
    }
}

/// Which rows of the source a run reads.
public struct RowFilter: Sendable, Hashable {
    public enum Comparison: String, Sendable, Hashable {
        case greaterThan = ">"
        case greaterThanOrEqual = ">="
    }

    public var column: String
    public var comparison: Comparison
    public var value: ScalarValue

    public init(column: String, comparison: Comparison, value: ScalarValue) {
        self.column = column
        self.comparison = comparison
        self.value = value
    }
}

extension ScalarValue {
    /// Orders two values of the same kind; `nil` when the kinds differ and no exact comparison exists.
    public func compare(to other: ScalarValue) -> Int? {
        func cmp<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (self, other) {
        case (.int(let a), .int(let b)): return cmp(a, b)
        case (.double(let a), .double(let b)): return cmp(a, b)
        case (.int(let a), .double(let b)): return cmp(Double(a), b)
        case (.double(let a), .int(let b)): return cmp(a, Double(b))
        case (.decimal(let a, let sa), .decimal(let b, let sb)):
            var x = a
            var y = b
            if sa < sb { for _ in sa..<sb { x *= 10 } }
            if sb < sa { for _ in sb..<sa { y *= 10 } }
            return cmp(x, y)
        case (.text(let a), .text(let b)):
            if a == b { return 0 }
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
        case (.bytes(let a), .bytes(let b)):
            if a == b { return 0 }
            return a.lexicographicallyPrecedes(b) ? -1 : 1
        case (.date(let a), .date(let b)): return cmp(a, b)
        case (.timestamp(let a, _), .timestamp(let b, _)): return cmp(a, b)
        case (.date(let a), .timestamp(let b, _)): return cmp(a * 86_400_000_000, b)
        case (.timestamp(let a, _), .date(let b)): return cmp(a, b * 86_400_000_000)
        default: return nil
        }
    }

    /// Whether a value satisfies `comparison` against `bound`.
    public func satisfies(_ comparison: RowFilter.Comparison, _ bound: ScalarValue) -> Bool {
        guard let c = compare(to: bound) else { return false }
        switch comparison {
        case .greaterThan: return c > 0
        case .greaterThanOrEqual: return c >= 0
        }
    }
}
