/// PostgreSQL's text forms of arrays (`array_out`: `{1,NULL,"a \"b\""}`) and records (`record_out`:
/// `(1,"x y",)`), split into their elements or fields in place.
///
/// An element or field is handed to the caller as a slice of the text itself when it needs no unquoting (most
/// values), else as a slice of one reused scratch buffer holding it unescaped; `nil` is NULL (`NULL` unquoted in an
/// array, nothing at all in a record). The caller parses each with the element type's own text reader.
enum TextLiteral {
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let comma = UInt8(ascii: ",")

    /// Calls `element` for each element of a one-dimensional array indexed from 1; an array with a dimension
    /// decoration (`[0:1]={7,8}`) or nested braces fails (`ValueFailure.notOneDimensional`), as in binary.
    static func forEachElement(
        _ text: UnsafeRawBufferPointer, _ element: (UnsafeRawBufferPointer?) throws(ValueFailure) -> Void
    ) throws(ValueFailure) {
        guard let first = text.first else { throw .malformed(expected: "an array") }
        if first == UInt8(ascii: "[") { throw decorated(text) }
        guard first == UInt8(ascii: "{"), text.last == UInt8(ascii: "}") else {
            throw .malformed(expected: "an array")
        }
        let end = text.count - 1
        var pos = 1
        if pos == end { return }
        if text[pos] == UInt8(ascii: "{") {
            var depth = 1
            while depth < text.count, text[depth] == UInt8(ascii: "{") { depth += 1 }
            throw .notOneDimensional(dimensions: depth, lowerBound: 1)
        }
        var scratch: [UInt8] = []
        while true {
            guard pos < end else { throw .malformed(expected: "an array (an element is missing)") }
            let start = pos
            var quoted = false
            var escaped = false
            var inQuotes = false
            while pos < end {
                let c = text[pos]
                if c == backslash {
                    escaped = true
                    pos += 2
                    continue
                }
                if c == quote {
                    quoted = true
                    inQuotes.toggle()
                } else if !inQuotes && c == comma {
                    break
                } else if !inQuotes && (c == UInt8(ascii: "{") || c == UInt8(ascii: "}")) {
                    throw .malformed(expected: "a one-dimensional array")
                }
                pos += 1
            }
            guard !inQuotes, pos <= end else { throw .malformed(expected: "an array (an unterminated quote)") }
            let raw = UnsafeRawBufferPointer(rebasing: text[start..<pos])
            if !quoted && !escaped {
                try element(isNull(raw) ? nil : raw)
            } else {
                unescape(raw, into: &scratch, doubledQuotes: false)
                try scratch.withUnsafeBytes { b in Result { () throws(ValueFailure) in try element(b) } }.get()
            }
            if pos == end { return }
            pos += 1
        }
    }

    /// Calls `field` for each of the `expected` fields of a record.
    static func forEachField(
        _ text: UnsafeRawBufferPointer, expected: Int,
        _ field: (Int, UnsafeRawBufferPointer?) throws(ValueFailure) -> Void
    ) throws(ValueFailure) {
        guard text.count >= 2, text.first == UInt8(ascii: "("), text.last == UInt8(ascii: ")") else {
            throw .malformed(expected: "a composite")
        }
        let end = text.count - 1
        var pos = 1
        var index = 0
        var scratch: [UInt8] = []
        while true {
            guard index < expected else { throw .malformed(expected: "a composite of \(expected) fields") }
            let start = pos
            var plain = true
            var inQuotes = false
            while pos < end {
                let c = text[pos]
                if c == backslash {
                    plain = false
                    pos += 2
                    continue
                }
                if c == quote {
                    plain = false
                    // A doubled quote inside quotes is a literal quote.
                    if inQuotes, pos + 1 < end, text[pos + 1] == quote {
                        pos += 2
                        continue
                    }
                    inQuotes.toggle()
                } else if !inQuotes && c == comma {
                    break
                }
                pos += 1
            }
            guard !inQuotes, pos <= end else { throw .malformed(expected: "a composite (an unterminated quote)") }
            let raw = UnsafeRawBufferPointer(rebasing: text[start..<pos])
            if plain {
                try field(index, raw.isEmpty ? nil : raw)
            } else {
                unescape(raw, into: &scratch, doubledQuotes: true)
                try scratch.withUnsafeBytes { b in Result { () throws(ValueFailure) in try field(index, b) } }.get()
            }
            index += 1
            if pos >= end { break }
            pos += 1
        }
        guard index == expected else { throw .malformed(expected: "a composite of \(expected) fields") }
    }

    /// `NULL`, in any case, unquoted.
    private static func isNull(_ raw: UnsafeRawBufferPointer) -> Bool {
        raw.count == 4 && raw.elementsEqual("NULL".utf8) { ($0 | 0x20) == ($1 | 0x20) }
    }

    /// The value without its quotes and with escapes resolved: `\x` is `x`; in a record `""` inside quotes is `"`.
    private static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8], doubledQuotes: Bool) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        var inQuotes = false
        while i < raw.count {
            let c = raw[i]
            if c == backslash, i + 1 < raw.count {
                out.append(raw[i + 1])
                i += 2
            } else if c == quote {
                if doubledQuotes, inQuotes, i + 1 < raw.count, raw[i + 1] == quote {
                    out.append(quote)
                    i += 2
                } else {
                    inQuotes.toggle()
                    i += 1
                }
            } else {
                out.append(c)
                i += 1
            }
        }
    }

    /// `[0:1]={…}` or `[1:2][1:2]={…}`: the dimensions and the first lower bound, for the error.
    private static func decorated(_ text: UnsafeRawBufferPointer) -> ValueFailure {
        var dimensions = 0
        var lowerBound = 1
        var i = 0
        while i < text.count, text[i] == UInt8(ascii: "[") {
            dimensions += 1
            var j = i + 1
            var digits = ""
            while j < text.count, text[j] != UInt8(ascii: ":"), text[j] != UInt8(ascii: "]") {
                digits.append(Character(UnicodeScalar(text[j])))
                j += 1
            }
            if dimensions == 1 { lowerBound = Int(digits) ?? 1 }
            while j < text.count, text[j] != UInt8(ascii: "]") { j += 1 }
            i = j + 1
        }
        return .notOneDimensional(dimensions: max(1, dimensions), lowerBound: lowerBound)
    }
}
