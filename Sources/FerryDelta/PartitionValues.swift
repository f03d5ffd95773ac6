import FerryCore
import Foundation

/// Partition values as Delta stores them: strings in `add.partitionValues` (nil for NULL) and Hive-style directory
/// names (`col=value`, with unsafe characters %-escaped).
enum PartitionValues {
    static let nullDirectory = "__HIVE_DEFAULT_PARTITION__"

    static func string(_ vector: ColumnVector, row: Int, type: ColumnType) -> String? {
        if vector.isNull(row) { return nil }
        switch type {
        case .boolean: return vector.bool(at: row) ? "true" : "false"
        case .int16, .int32, .int64: return String(vector.int64(at: row))
        case .date: return TimeText.formatDate(days: vector.int64(at: row))
        case .timestamp: return TimeText.formatTimestamp(micros: vector.int64(at: row), zoned: false)
        case .timestampTZ:
            return FileStatsBuilder.iso(vector.int64(at: row), zoned: true)
        case .decimal(_, let s): return DecimalText.format(unscaled: vector.decimal(at: row), scale: s)
        case .uuid: return UUIDText.format(Array(vector.bytes(at: row)))
        case .time: return TimeText.formatTime(micros: vector.int64(at: row))
        case .float32, .float64: return String(vector.float64(at: row))
        case .numeric, .text, .json, .jsonb, .bytes: return vector.string(at: row)
        case .list, .structure: return ScalarValue(vector: vector, row: row, type: type)?.description
        }
    }

    /// Appends a partition value read from the log to a column vector of `type`.
    static func append(_ value: String?, type: ColumnType, to v: inout ColumnVector, column: String) throws(FerryError)
    {
        guard let value else {
            v.appendNull()
            return
        }
        func bad() -> FerryError { FerryError(.data, "partition value '\(value)' of \(column) is not a \(type)") }
        switch type {
        case .boolean: v.append(value == "true")
        case .int16, .int32, .int64:
            guard let i = Int64(value) else { throw bad() }
            v.append(i)
        case .date:
            guard let d = TimeText.parseDate(value) else { throw bad() }
            v.append(d)
        case .timestamp, .timestampTZ:
            guard let t = TimeText.parseTimestamp(value) else { throw bad() }
            v.append(t.micros)
        case .time:
            guard let t = TimeText.parseTime(value) else { throw bad() }
            v.append(t)
        case .decimal(let p, let s):
            guard let d = DecimalText.parse(value, scale: s, precision: p) else { throw bad() }
            v.append(decimal: d)
        case .uuid:
            guard let b = UUIDText.parse(value) else { throw bad() }
            v.append(bytes: b)
        case .float32, .float64:
            guard let d = Double(value) else { throw bad() }
            v.append(d)
        case .numeric, .text, .json, .jsonb, .bytes: v.append(string: value)
        case .list, .structure:
            throw FerryError(.schema, "column \(column) is nested (\(type)); Delta partition columns cannot be nested")
        }
    }

    /// `col=value` with everything outside `[A-Za-z0-9._-]` escaped as `%XX`.
    static func directory(_ column: String, _ value: String?) -> String {
        guard let value else { return "\(column)=\(nullDirectory)" }
        var out = ""
        for byte in value.utf8 {
            let c = Character(UnicodeScalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") {
                out.append(c)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return "\(column)=\(out)"
    }
}
