import FerryCore

/// A recursive-descent reader of the JSON `SQLiteJSON` writes, appending each value straight into a typed
/// column vector: a list's elements into its child vector, a structure's fields into theirs (by name, in any
/// order; a field left out is NULL).
struct JSONCursor {
    let bytes: [UInt8]
    private var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { position >= bytes.count }

    func fail(_ what: String) -> SQLiteValueReader.Failure {
        SQLiteValueReader.Failure(message: "not the JSON of a list or structure (\(what) at byte \(position))")
    }

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ c: Character) throws(SQLiteValueReader.Failure) {
        skipSpace()
        guard position < bytes.count, bytes[position] == c.asciiValue else { throw fail("expected '\(c)'") }
        position += 1
    }

    /// Consumes `c` if it is next.
    private mutating func take(_ c: Character) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == c.asciiValue else { return false }
        position += 1
        return true
    }

    /// Appends the next value, of `type`, to `vector`.
    mutating func value(_ type: ColumnType, into vector: inout ColumnVector) throws(SQLiteValueReader.Failure) {
        skipSpace()
        if bytes[position...].starts(with: "null".utf8) {
            position += 4
            vector.appendNull()
            return
        }
        switch type {
        case .list(let element):
            try expect("[")
            try vector.appendList { (elements: inout ColumnVector) throws(SQLiteValueReader.Failure) in
                if take("]") { return }
                repeat { try value(element, into: &elements) } while take(",")
                try expect("]")
            }
        case .structure(let fields):
            try expect("{")
            try vector.appendStructure { (children: inout [ColumnVector]) throws(SQLiteValueReader.Failure) in
                var filled = [Bool](repeating: false, count: fields.count)
                if !take("}") {
                    repeat {
                        let name = try string()
                        guard let i = fields.firstIndex(where: { $0.name == name }), !filled[i] else {
                            throw fail("field '\(name)' unknown or repeated")
                        }
                        try expect(":")
                        try value(fields[i].type, into: &children[i])
                        filled[i] = true
                    } while take(",")
                    try expect("}")
                }
                for i in fields.indices where !filled[i] { children[i].appendNull() }
            }
        default:
            try scalar(type, into: &vector)
        }
    }

    /// A string or a bare literal (number, `true`, `false`), as text.
    private mutating func token() throws(SQLiteValueReader.Failure) -> (text: String, quoted: Bool) {
        skipSpace()
        guard position < bytes.count else { throw fail("the text ends") }
        if bytes[position] == UInt8(ascii: "\"") { return (try string(), true) }
        let start = position
        while position < bytes.count, !",]} \t\r\n".utf8.contains(bytes[position]) { position += 1 }
        guard position > start else { throw fail("a value is missing") }
        return (String(decoding: bytes[start..<position], as: UTF8.self), false)
    }

    private mutating func scalar(_ type: ColumnType, into vector: inout ColumnVector) throws(SQLiteValueReader.Failure)
    {
        let (text, quoted) = try token()
        func bad() -> SQLiteValueReader.Failure {
            SQLiteValueReader.Failure(message: "'\(text)' in the JSON is not a \(type)")
        }
        switch type {
        case .boolean:
            guard !quoted, text == "true" || text == "false" else { throw bad() }
            vector.append(text == "true")
        case .int16, .int32, .int64:
            guard !quoted, let v = Int64(text) else { throw bad() }
            let fits =
                switch type {
                case .int16: Int16(exactly: v) != nil
                case .int32: Int32(exactly: v) != nil
                default: true
                }
            guard fits else { throw bad() }
            vector.append(v)
        case .float32, .float64:
            // Quoted: NaN and the infinities, which JSON has no number for.
            guard let d = Double(text), !quoted || !d.isFinite else { throw bad() }
            vector.append(d)
        case .decimal(let p, let s):
            guard let v = DecimalText.parse(text, scale: s, precision: p) else { throw bad() }
            vector.append(decimal: v)
        case .numeric:
            guard let canonical = DecimalText.canonical(text) else { throw bad() }
            vector.append(string: canonical)
        case .text, .json, .jsonb:
            guard quoted else { throw bad() }
            vector.append(string: text)
        case .bytes:
            guard quoted, text.hasPrefix("\\x"), let b = Self.hex(text.utf8.dropFirst(2)) else { throw bad() }
            vector.append(bytes: b)
        case .uuid:
            guard let b = UUIDText.parse(text) else { throw bad() }
            vector.append(bytes: b)
        case .date:
            guard let d = TimeText.parseDate(text) else { throw bad() }
            vector.append(d)
        case .time:
            guard let t = TimeText.parseTime(text) else { throw bad() }
            vector.append(t)
        case .timestamp, .timestampTZ:
            guard let t = TimeText.parseTimestamp(text) else { throw bad() }
            vector.append(t.micros)
        case .list, .structure:
            throw bad()
        }
    }

    private static func hex(_ digits: Substring.UTF8View) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for c in digits {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }

    /// A JSON string, escapes resolved.
    private mutating func string() throws(SQLiteValueReader.Failure) -> String {
        try expect("\"")
        var out: [UInt8] = []
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            switch b {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw fail("the text ends in an escape") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard let unit = hexUnit() else { throw fail("a bad \\u escape") }
                    var scalar = unit
                    // A surrogate pair: the second half follows as another \u escape.
                    if (0xD800..<0xDC00).contains(unit), bytes[position...].starts(with: "\\u".utf8) {
                        position += 2
                        guard let low = hexUnit(), (0xDC00..<0xE000).contains(low) else {
                            throw fail("a bad surrogate pair")
                        }
                        scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(scalar) else { throw fail("a bad \\u escape") }
                    out.append(contentsOf: String(Character(s)).utf8)
                default: out.append(e)
                }
            default: out.append(b)
            }
        }
        throw fail("an unterminated string")
    }

    /// Four hex digits of a `\u` escape.
    private mutating func hexUnit() -> UInt32? {
        guard position + 4 <= bytes.count,
            let v = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16)
        else { return nil }
        position += 4
        return v
    }
}
