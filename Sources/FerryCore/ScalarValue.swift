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
    /// A list's elements (`nil` = a NULL element), for `ColumnType.list`.
    case list([ScalarValue?])
    /// A structure's field values in field order (`nil` = NULL), for `ColumnType.structure`.
    case structure([ScalarValue?])

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
        case .list(let element):
            let elements = vector.listElements
            self = .list(vector.listRange(at: row).map { ScalarValue(vector: elements, row: $0, type: element) })
        case .structure(let fields):
            let children = vector.structureFields
            self = .structure(
                zip(fields, children).map { field, child in ScalarValue(vector: child, row: row, type: field.type) })
        }
    }

    /// The earliest day `minus(days:)` returns: the first whole day a timestamp in microseconds can hold, so a
    /// date moved back this far still compares with any timestamp (about 290,000 BC).
    public static let earliestDay = Int64.min / 86_400_000_000

    /// The value moved back by `days` (for look-back buffers); other kinds are returned unchanged.
    ///
    /// Saturates at `earliestDay` instead of trapping: a look-back past it selects every row, which is what a
    /// look-back that long means (`date_buffer_days` in the config is bounded, but a `TableSpec` can be built in code).
    /// A negative `days` counts as 0, and a value already before the floor is kept: the bound never moves forward.
    public func minus(days: Int) -> ScalarValue {
        let microsPerDay: Int64 = 86_400_000_000
        let back = Int64(clamping: max(0, days))
        switch self {
        case .date(let d):
            let (moved, overflow) = d.subtractingReportingOverflow(back)
            return .date(min(d, overflow ? Self.earliestDay : max(Self.earliestDay, moved)))
        case .timestamp(let us, let zoned):
            let floor = Self.earliestDay * microsPerDay
            let (span, spanOverflow) = back.multipliedReportingOverflow(by: microsPerDay)
            let (moved, overflow) = us.subtractingReportingOverflow(span)
            return .timestamp(min(us, spanOverflow || overflow ? floor : max(floor, moved)), zoned: zoned)
        default:
            return self
        }
    }
}

extension ScalarValue: CustomStringConvertible {
    /// A human and SQL friendly rendering: ISO-8601 for dates and timestamps; a list as a PostgreSQL array literal
    /// (`{1,NULL,"a b"}`) and a structure as a record literal (`(1,"a b",)`), both of which PostgreSQL accepts.
    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .decimal(let v, let scale): DecimalText.format(unscaled: v, scale: scale)
        case .text(let s): s
        case .bytes(let b): "\\x" + b.map { String(format: "%02x", $0) }.joined()
        case .date(let d): TimeText.formatDate(days: d)
        case .timestamp(let us, let zoned): TimeText.formatTimestamp(micros: us, zoned: zoned)
        case .list(let elements):
            "{"
                + elements.map { $0.map { Self.quoted($0.description, arrayElement: true) } ?? "NULL" }
                .joined(separator: ",") + "}"
        case .structure(let fields):
            "("
                + fields.map { $0.map { Self.quoted($0.description, arrayElement: false) } ?? "" }
                .joined(separator: ",") + ")"
        }
    }

    /// An element of an array literal or a field of a record literal, in double quotes (with `"` and `\` escaped)
    /// when it would otherwise be read differently.
    static func quoted(_ text: String, arrayElement: Bool) -> String {
        let special: Set<Character> = arrayElement ? ["{", "}", ",", "\"", "\\"] : ["(", ")", ",", "\"", "\\"]
        let needs =
            text.isEmpty || text.contains { special.contains($0) || $0.isWhitespace }
            || (arrayElement && text.uppercased() == "NULL")
        guard needs else { return text }
        var out = "\""
        for c in text {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
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
            if sa < sb { return Self.compareDecimal(a, rescaledBy: sb - sa, to: b) }
            return -Self.compareDecimal(b, rescaledBy: sa - sb, to: a)
        case (.text(let a), .text(let b)):
            if a == b { return 0 }
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
        case (.bytes(let a), .bytes(let b)):
            if a == b { return 0 }
            return a.lexicographicallyPrecedes(b) ? -1 : 1
        case (.date(let a), .date(let b)): return cmp(a, b)
        case (.timestamp(let a, _), .timestamp(let b, _)): return cmp(a, b)
        case (.date(let a), .timestamp(let b, _)): return Self.compare(days: a, micros: b)
        case (.timestamp(let a, _), .date(let b)): return -Self.compare(days: b, micros: a)
        default: return nil
        }
    }

    /// Orders `a × 10^shift` against `b`. A product too large for Int128 is larger in magnitude than any `b`, so
    /// its sign decides (multiplying on would trap).
    private static func compareDecimal(_ a: Int128, rescaledBy shift: Int, to b: Int128) -> Int {
        var x = a
        for _ in 0..<max(0, shift) {
            let (next, overflow) = x.multipliedReportingOverflow(by: 10)
            if overflow { return x < 0 ? -1 : 1 }
            x = next
        }
        return x < b ? -1 : (x == b ? 0 : 1)
    }

    /// Orders midnight of day `days` against a timestamp, without multiplying the day into microseconds (which
    /// overflows for dates far from 1970).
    private static func compare(days: Int64, micros: Int64) -> Int {
        let microsPerDay: Int64 = 86_400_000_000
        let remainder = micros % microsPerDay
        let day = micros / microsPerDay - (remainder < 0 ? 1 : 0)
        if days != day { return days < day ? -1 : 1 }
        return remainder == 0 ? 0 : -1
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
