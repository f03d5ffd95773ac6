import FerryCore

/// Turns the text form of a value (what pgoutput sends without the `binary` option) into the `ScalarValue` the
/// snapshot reader produces for the same value: `ScalarValue(vector:row:type:)` of a binary COPY batch.
///
/// The text forms are the ones the replication connection pins (`DateStyle=ISO`, `TimeZone=UTC`,
/// `IntervalStyle=postgres`, `extra_float_digits=3`, `bytea_output=hex`). Values the binary decoder refuses
/// (infinite dates, NaN in a `numeric(p,s)`) are refused here with the same `ValueFailure`.
enum TupleText {
    /// Why a value could not be converted: the same reasons as binary values (`ValueFailure`).
    typealias Failure = ValueFailure

    /// The value of `text` for a column of `type`; `viaText` columns (types Ferry reads as their text form) keep
    /// the text as it is.
    static func value(_ text: [UInt8], type: ColumnType, viaText: Bool) throws(Failure) -> ScalarValue {
        let result = text.withUnsafeBytes { raw in
            Result { () throws(Failure) -> ScalarValue in try value(raw, type: type, viaText: viaText) }
        }
        return try result.get()
    }

    /// The value of the text in `text` (a slice of the message being decoded: nothing is copied for numbers,
    /// dates and times, which are parsed from the bytes).
    static func value(_ text: UnsafeRawBufferPointer, type: ColumnType, viaText: Bool) throws(Failure) -> ScalarValue {
        try value(text, type: type, form: viaText ? .text : .native)
    }

    /// The value of the text in `text` for a column whose values the snapshot reads as `form`: an array or a
    /// composite is split (`TextLiteral`) and each element parsed as its own type, so the result equals the binary
    /// readers'; intervals, addresses and enums are kept as the text they are.
    static func value(
        _ text: UnsafeRawBufferPointer, type: ColumnType, form: PGValueForm
    ) throws(Failure)
        -> ScalarValue
    {
        switch (type, form) {
        case (_, .text), (_, .interval), (_, .inet), (_, .enumLabel): return .text(string(text))
        case (.list(let element), .array(let elementForm, _)):
            var values: [ScalarValue?] = []
            try TextLiteral.forEachElement(text) { (e: UnsafeRawBufferPointer?) throws(Failure) in
                values.append(try e.map { (e) throws(Failure) in try value(e, type: element, form: elementForm) })
            }
            return .list(values)
        case (.structure(let fields), .composite(let forms, _)):
            var values: [ScalarValue?] = []
            try TextLiteral.forEachField(text, expected: fields.count) {
                (i: Int, e: UnsafeRawBufferPointer?) throws(Failure) in
                values.append(try e.map { (e) throws(Failure) in try value(e, type: fields[i].type, form: forms[i]) })
            }
            return .structure(values)
        default:
            break
        }
        switch type {
        case .boolean:
            guard text.count == 1 else { throw .malformed(expected: "a boolean") }
            switch text[0] {
            case UInt8(ascii: "t"): return .int(1)
            case UInt8(ascii: "f"): return .int(0)
            default: throw .malformed(expected: "a boolean")
            }
        case .int16, .int32, .int64:
            guard let v = integer(text) else { throw .malformed(expected: "an integer") }
            return .int(v)
        case .float32:
            guard let v = float(text, Float.self) else { throw .malformed(expected: "a real") }
            return .double(Double(v))
        case .float64:
            guard let v = float(text, Double.self) else { throw .malformed(expected: "a double precision") }
            return .double(v)
        case .decimal(let precision, let scale):
            if let unscaled = DecimalText.parse(utf8: text, scale: scale, precision: precision) {
                return .decimal(unscaled, scale: scale)
            }
            let type = "numeric(\(precision),\(scale))"
            switch string(text) {
            case "NaN": throw .numeric(.nan, type: type)
            case "Infinity", "-Infinity": throw .numeric(.infinity, type: type)
            default: throw .numeric(.doesNotFit, type: type)
            }
        case .numeric, .text, .json, .jsonb:
            return .text(string(text))
        case .bytes:
            guard let bytes = hexBytes(text) else { throw .malformed(expected: "bytea in hex form") }
            return .bytes(bytes)
        case .uuid:
            // uuid_out writes the canonical form; anything else goes through the full parser.
            if isCanonicalUUID(text) { return .text(string(text)) }
            guard let bytes = UUIDText.parse(string(text)) else { throw .malformed(expected: "a uuid") }
            return .text(UUIDText.format(bytes))
        case .date:
            return .date(try date(text))
        case .time:
            guard let micros = TimeText.parseTime(string(text)) else { throw .malformed(expected: "a time") }
            return .int(micros)
        case .timestamp:
            return .timestamp(try timestamp(text, zoned: false), zoned: false)
        case .timestampTZ:
            return .timestamp(try timestamp(text, zoned: true), zoned: true)
        case .list, .structure:
            throw .malformed(expected: "a \(type) in its container's text form")
        }
    }

    private static func string(_ text: UnsafeRawBufferPointer) -> String { String(decoding: text, as: UTF8.self) }

    /// `-?[0-9]+` within Int64, without going through `String`.
    static func integer(_ text: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative || text.first == UInt8(ascii: "+") { i = 1 }
        guard i < text.count else { return nil }
        // Accumulated negatively so that Int64.min parses.
        var v: Int64 = 0
        while i < text.count {
            let d = text[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            v = s
            i += 1
        }
        if negative { return v }
        return v == .min ? nil : -v
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lower-case hex.
    private static func isCanonicalUUID(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count == 36 else { return false }
        for i in 0..<36 {
            let c = text[i]
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return false }
            } else {
                guard (0x30...0x39).contains(c) || (0x61...0x66).contains(c) else { return false }
            }
        }
        return true
    }

    /// `float4out`/`float8out` forms: shortest round-trip decimal or exponent notation, `NaN`, `Infinity`,
    /// `-Infinity`. Parsing as the column's own width gives back the exact stored bits.
    private static func float<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _ text: UnsafeRawBufferPointer, _: F.Type
    ) -> F? {
        let string = string(text)
        switch string {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return F(string)
        }
    }

    /// `\x00ff10` -> `[0x00, 0xff, 0x10]`.
    static func hexBytes(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
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

    // MARK: Dates and timestamps (DateStyle=ISO), parsed from the bytes

    /// `YYYY-MM-DD[ BC]` -> days since 1970-01-01 (proleptic Gregorian; 1 BC is year 0, as PostgreSQL counts).
    static func date(_ text: UnsafeRawBufferPointer) throws(Failure) -> Int64 {
        var s = TimeScanner(text)
        if s.isInfinity { throw .infinity }
        let bc = s.dropSuffix(" BC")
        guard let days = s.date(bc: bc), s.atEnd else { throw .malformed(expected: "a date") }
        return days
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]` -> µs since 1970-01-01 UTC. Years beyond what 64-bit
    /// µs since 1970 can hold fail like the binary ones (`SendForm.timestamp`).
    static func timestamp(_ text: UnsafeRawBufferPointer, zoned: Bool) throws(Failure) -> Int64 {
        let what = zoned ? "a timestamp with time zone" : "a timestamp"
        var s = TimeScanner(text)
        if s.isInfinity { throw .infinity }
        let bc = s.dropSuffix(" BC")
        guard let days = s.date(bc: bc), s.eat(UInt8(ascii: " ")) else { throw .malformed(expected: what) }
        var offsetSeconds: Int64 = 0
        if zoned {
            guard let offset = s.dropZoneOffset() else { throw .malformed(expected: what) }
            offsetSeconds = offset
        }
        guard let time = s.time(), s.atEnd else { throw .malformed(expected: what) }
        let (dayMicros, o1) = days.multipliedReportingOverflow(by: TimeText.microsPerDay)
        let (local, o2) = dayMicros.addingReportingOverflow(time)
        let (utc, o3) = local.subtractingReportingOverflow(offsetSeconds * 1_000_000)
        guard !o1, !o2, !o3 else { throw .outOfRange(what) }
        return utc
    }
}

/// What the change stream's text values add to the shared scanner: PostgreSQL's `infinity`, a `BC` suffix and a
/// zone offset, taken off the end first.
extension TimeScanner {
    fileprivate var isInfinity: Bool {
        let start = bytes.first == UInt8(ascii: "-") ? 1 : 0
        return bytes.count - start == 8 && bytes[start...].elementsEqual("infinity".utf8)
    }

    fileprivate mutating func dropSuffix(_ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard end - position >= n else { return false }
        for k in 0..<n where bytes[end - n + k] != suffix.utf8Start[k] { return false }
        end -= n
        return true
    }

    /// `YYYY-MM-DD` as days since 1970-01-01 (proleptic Gregorian; 1 BC is year 0, as PostgreSQL counts).
    fileprivate mutating func date(bc: Bool) -> Int64? {
        guard let (year, month, day) = date(signedYear: false) else { return nil }
        return TimeText.days(year: bc ? 1 - year : year, month: month, day: day)
    }

    /// Takes `+HH`, `-HH:MM` or `+HH:MM:SS` off the end: seconds east of UTC.
    fileprivate mutating func dropZoneOffset() -> Int64? {
        var sign = end - 1
        while sign > position, bytes[sign] != UInt8(ascii: "+"), bytes[sign] != UInt8(ascii: "-") { sign -= 1 }
        guard sign > position else { return nil }
        let fields = end - sign - 1
        guard fields == 2 || fields == 5 || fields == 8 else { return nil }
        var seconds: Int64 = 0
        var p = sign + 1
        for unit: Int64 in [3600, 60, 1] where p < end {
            if p > sign + 1 {
                guard bytes[p] == UInt8(ascii: ":") else { return nil }
                p += 1
            }
            let high = bytes[p] &- 0x30
            let low = bytes[p + 1] &- 0x30
            guard high < 10, low < 10 else { return nil }
            seconds += Int64(high * 10 + low) * unit
            p += 2
        }
        let offset = bytes[sign] == UInt8(ascii: "-") ? -seconds : seconds
        end = sign
        return offset
    }
}
