import FerryCore
import Foundation

/// Lists and structures in SQLite, which has no nested types: JSON text, `[1,2,null]` for a list and
/// `{"a":1,"b":"x"}` for a structure (fields in order, NULL fields as `null`), written straight from the column
/// vectors and decoded straight into them, without an intermediate value per element.
///
/// Elements keep the form SQLite gives their type elsewhere: numbers for integers, floats and decimals (a float
/// NaN or infinity, which JSON has no number for, as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; `-0.0` stays
/// `-0.0`), `true`/`false`, and strings for text, uuids, dates, times, timestamps (ISO-8601) and bytes (`\x` hex).
enum SQLiteJSON {
    /// Appends the JSON of row `row` of `vector` (not NULL) of type `type` to `out`.
    static func encode(_ vector: ColumnVector, row: Int, type: ColumnType, into out: inout [UInt8]) {
        if vector.isNull(row) {
            out.append(contentsOf: "null".utf8)
            return
        }
        switch type {
        case .boolean: out.append(contentsOf: (vector.bool(at: row) ? "true" : "false").utf8)
        case .int16, .int32, .int64: out.append(contentsOf: String(vector.int64(at: row)).utf8)
        case .float32, .float64:
            let d = vector.float64(at: row)
            if d.isNaN {
                out.append(contentsOf: "\"NaN\"".utf8)
            } else if d.isInfinite {
                out.append(contentsOf: (d > 0 ? "\"Infinity\"" : "\"-Infinity\"").utf8)
            } else {
                out.append(contentsOf: "\(d)".utf8)
            }
        case .decimal(_, let scale):
            out.append(contentsOf: DecimalText.format(unscaled: vector.decimal(at: row), scale: scale).utf8)
        case .numeric:
            let text = vector.string(at: row)
            // A plain decimal is a JSON number as it is; NaN and the infinities become strings.
            if text.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || ($0 >= 0x30 && $0 <= 0x39) }
            ),
                text.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 })
            {
                out.append(contentsOf: text.utf8)
            } else {
                string(text.utf8, into: &out)
            }
        case .text, .json, .jsonb: string(vector.bytes(at: row), into: &out)
        case .bytes:
            let hex = "\\x" + vector.bytes(at: row).map { String(format: "%02x", $0) }.joined()
            string(hex.utf8, into: &out)
        case .uuid: string(UUIDText.format(Array(vector.bytes(at: row))).utf8, into: &out)
        case .date: string(TimeText.formatDate(days: vector.int64(at: row)).utf8, into: &out)
        case .time: string(TimeText.formatTime(micros: vector.int64(at: row)).utf8, into: &out)
        case .timestamp: string(TimeText.formatTimestamp(micros: vector.int64(at: row), zoned: false).utf8, into: &out)
        case .timestampTZ:
            string(TimeText.formatTimestamp(micros: vector.int64(at: row), zoned: true).utf8, into: &out)
        case .list(let element):
            out.append(UInt8(ascii: "["))
            let elements = vector.listElements
            for (n, i) in vector.listRange(at: row).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                encode(elements, row: i, type: element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .structure(let fields):
            out.append(UInt8(ascii: "{"))
            for (n, (field, child)) in zip(fields, vector.structureFields).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                string(field.name.utf8, into: &out)
                out.append(UInt8(ascii: ":"))
                encode(child, row: row, type: field.type, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, everything else as its UTF-8.
    private static func string<S: Sequence>(_ bytes: S, into out: inout [UInt8]) where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case ..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Decodes the JSON `text` (a list or structure written by ``encode(_:row:type:into:)``, or by hand in the
    /// same shape) into one new row of `vector`.
    /// - Throws: a message saying what is wrong, for the caller to name the row and column.
    static func decode(
        _ text: [UInt8], type: ColumnType, into vector: inout ColumnVector
    ) throws(SQLiteValueReader.Failure) {
        var parser = JSONCursor(bytes: text)
        try parser.value(type, into: &vector)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.fail("text after the value") }
    }
}
