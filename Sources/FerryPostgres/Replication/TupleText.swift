import FerryCore

/// Turns the text form of a value (what pgoutput sends without the `binary` option) into the `ScalarValue` the
/// snapshot reader produces for the same value: `ScalarValue(vector:row:type:)` of a binary COPY batch.
///
/// The text forms are the ones the replication connection pins (`DateStyle=ISO`, `TimeZone=UTC`,
/// `IntervalStyle=postgres`, `extra_float_digits=3`, `bytea_output=hex`). Values the binary decoder refuses
/// (infinite dates, NaN in a `numeric(p,s)`) are refused here with the same reason.
enum TupleText {
    /// Why a value could not be converted; `reason` completes "column c: …".
    enum Failure: Error, Sendable, Hashable {
        case infinity
        case numeric(NumericFailure, type: String)
        case malformed(expected: String)

        var reason: String {
            switch self {
            case .infinity: "cannot represent infinity"
            case .numeric(.nan, let type): "NaN cannot be represented as \(type)"
            case .numeric(.infinity, let type): "an infinite value cannot be represented as \(type)"
            case .numeric(.doesNotFit, let type): "a value does not fit \(type) exactly"
            case .numeric(.malformed, let type): "malformed \(type) value"
            case .malformed(let expected): "the server sent a value that is not \(expected)"
            }
        }
    }

    /// The value of `text` for a column of `type`; `viaText` columns (types Ferry reads as their text form) keep
    /// the text as it is.
    static func value(_ text: [UInt8], type: ColumnType, viaText: Bool) throws(Failure) -> ScalarValue {
        if viaText { return .text(String(decoding: text, as: UTF8.self)) }
        switch type {
        case .boolean:
            switch text {
            case [UInt8(ascii: "t")]: return .int(1)
            case [UInt8(ascii: "f")]: return .int(0)
            default: throw .malformed(expected: "a boolean")
            }
        case .int16, .int32, .int64:
            guard let v = Int64(String(decoding: text, as: UTF8.self)) else { throw .malformed(expected: "an integer") }
            return .int(v)
        case .float32:
            guard let v = float(text, Float.self) else { throw .malformed(expected: "a real") }
            return .double(Double(v))
        case .float64:
            guard let v = float(text, Double.self) else { throw .malformed(expected: "a double precision") }
            return .double(v)
        case .decimal(let precision, let scale):
            let type = "numeric(\(precision),\(scale))"
            let string = String(decoding: text, as: UTF8.self)
            switch string {
            case "NaN": throw .numeric(.nan, type: type)
            case "Infinity", "-Infinity": throw .numeric(.infinity, type: type)
            default: break
            }
            guard let unscaled = DecimalText.parse(string, scale: scale, precision: precision) else {
                throw .numeric(.doesNotFit, type: type)
            }
            return .decimal(unscaled, scale: scale)
        case .numeric, .text, .json, .jsonb:
            return .text(String(decoding: text, as: UTF8.self))
        case .bytes:
            guard let bytes = hexBytes(text) else { throw .malformed(expected: "bytea in hex form") }
            return .bytes(bytes)
        case .uuid:
            guard let bytes = UUIDText.parse(String(decoding: text, as: UTF8.self)) else {
                throw .malformed(expected: "a uuid")
            }
            return .text(UUIDText.format(bytes))
        case .date:
            return .date(try date(text))
        case .time:
            guard let micros = TimeText.parseTime(String(decoding: text, as: UTF8.self)) else {
                throw .malformed(expected: "a time")
            }
            return .int(micros)
        case .timestamp:
            return .timestamp(try timestamp(text, zoned: false), zoned: false)
        case .timestampTZ:
            return .timestamp(try timestamp(text, zoned: true), zoned: true)
        }
    }

    /// `float4out`/`float8out` forms: shortest round-trip decimal or exponent notation, `NaN`, `Infinity`,
    /// `-Infinity`. Parsing as the column's own width gives back the exact stored bits.
    private static func float<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _ text: [UInt8], _: F.Type
    ) -> F? {
        let string = String(decoding: text, as: UTF8.self)
        switch string {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return F(string)
        }
    }

    /// `\x00ff10` -> `[0x00, 0xff, 0x10]`.
    static func hexBytes(_ text: [UInt8]) -> [UInt8]? {
        guard text.count >= 2, text.count % 2 == 0, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x")
        else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2 - 1)
        var i = 2
        while i < text.count {
            guard let high = hexDigit(text[i]), let low = hexDigit(text[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    // MARK: Dates and timestamps (DateStyle=ISO)

    /// `YYYY-MM-DD[ BC]` -> days since 1970-01-01 (proleptic Gregorian; 1 BC is year 0, as PostgreSQL counts).
    static func date(_ text: [UInt8]) throws(Failure) -> Int64 {
        var s = Substring(String(decoding: text, as: UTF8.self))
        if s == "infinity" || s == "-infinity" { throw .infinity }
        let bc = s.hasSuffix(" BC")
        if bc { s = s.dropLast(3) }
        guard let (days, rest) = datePart(s, bc: bc), rest.isEmpty else { throw .malformed(expected: "a date") }
        return days
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]` -> µs since 1970-01-01 UTC. Years beyond what 64-bit
    /// µs since 1970 can hold fail like the binary decoder's "out of range".
    static func timestamp(_ text: [UInt8], zoned: Bool) throws(Failure) -> Int64 {
        let what = zoned ? "a timestamp with time zone" : "a timestamp"
        var s = Substring(String(decoding: text, as: UTF8.self))
        if s == "infinity" || s == "-infinity" { throw .infinity }
        let bc = s.hasSuffix(" BC")
        if bc { s = s.dropLast(3) }
        guard let (days, afterDate) = datePart(s, bc: bc), afterDate.first == " " else {
            throw .malformed(expected: what)
        }
        var rest = afterDate.dropFirst()
        var offsetSeconds: Int64 = 0
        if zoned {
            guard let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }),
                let offset = zoneOffset(rest[sign...])
            else { throw .malformed(expected: what) }
            offsetSeconds = offset
            rest = rest[..<sign]
        }
        guard let time = TimeText.parseTime(rest) else { throw .malformed(expected: what) }
        let (dayMicros, o1) = days.multipliedReportingOverflow(by: TimeText.microsPerDay)
        let (local, o2) = dayMicros.addingReportingOverflow(time)
        let (utc, o3) = local.subtractingReportingOverflow(offsetSeconds * 1_000_000)
        guard !o1, !o2, !o3 else { throw .malformed(expected: "\(what) within the representable range") }
        return utc
    }

    /// The date at the start of `s` and what follows it.
    private static func datePart(_ s: Substring, bc: Bool) -> (days: Int64, rest: Substring)? {
        let parts = s.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].allSatisfy(\.isASCIIDigit), parts[0].count <= 9,
            let year = Int64(parts[0]), parts[1].count == 2, let month = Int64(parts[1]),
            parts[2].count >= 2, let day = Int64(parts[2].prefix(2)),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = TimeText.days(year: bc ? 1 - year : year, month: month, day: day)
        return (days, parts[2].dropFirst(2))
    }

    /// `+HH`, `-HH:MM`, `+HH:MM:SS` -> seconds east of UTC.
    private static func zoneOffset(_ s: Substring) -> Int64? {
        guard let sign = s.first else { return nil }
        let fields = s.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(fields.count), fields.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        var seconds: Int64 = 0
        for (i, field) in fields.enumerated() {
            guard let v = Int64(field) else { return nil }
            seconds += v * [3600, 60, 1][i]
        }
        return sign == "-" ? -seconds : seconds
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
