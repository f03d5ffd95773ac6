import DeltaLake
import FerryCore
import Foundation
import Parquet

/// Turns a written Parquet file's column summaries into Delta `stats`, so engines can skip files.
///
/// Bounds are exact (timestamps to the microsecond, not truncated to milliseconds), so they stay valid bounds; a
/// column whose bound cannot be written exactly (long strings, wide decimals, binary) gets only its null count.
/// Nested columns (lists, structures) get no statistics at all, as delta-rs writes none for non-primitive
/// columns: the protocol makes every statistic optional, and a reader then never skips a file for them.
enum FileStatsBuilder {
    static let maxStringStatBytes = 64

    static func stats(_ file: WrittenFile, columns: [Column]) -> FileStats {
        var minValues: [String: JSONValue] = [:]
        var maxValues: [String: JSONValue] = [:]
        var nullCount: [String: JSONValue] = [:]
        // Summaries are per leaf column, named by their path: a top-level primitive column's is its own name.
        var summaries: [String: ColumnSummary] = [:]
        for summary in file.columns { summaries[summary.name] = summary }
        for column in columns where !column.type.isNested {
            guard let summary = summaries[column.name] else { continue }
            nullCount[column.name] = .int(Int64(summary.nullCount))
            if let v = summary.min.flatMap({ json($0, type: column.type) }) { minValues[column.name] = v }
            if let v = summary.max.flatMap({ json($0, type: column.type) }) { maxValues[column.name] = v }
        }
        return FileStats(
            numRecords: Int64(file.numRows), minValues: minValues, maxValues: maxValues, nullCount: nullCount,
            tightBounds: true)
    }

    static func json(_ stat: StatValue, type: ColumnType) -> JSONValue? {
        switch (type, stat) {
        case (.int16, .int32(let v)), (.int32, .int32(let v)): return .int(Int64(v))
        case (.int64, .int64(let v)): return .int(v)
        case (.float32, .float(let v)): return v.isFinite ? .double(Double(v)) : nil
        case (.float64, .double(let v)): return v.isFinite ? .double(v) : nil
        case (.date, .int32(let v)): return .string(TimeText.formatDate(days: Int64(v)))
        case (.timestamp, .int64(let v)): return .string(iso(v, zoned: false))
        case (.timestampTZ, .int64(let v)): return .string(iso(v, zoned: true))
        case (.decimal(let p, let s), .int32(let v)) where p <= 15: return decimal(Int128(v), s)
        case (.decimal(let p, let s), .int64(let v)) where p <= 15: return decimal(Int128(v), s)
        case (.text, .bytes(let b)), (.json, .bytes(let b)), (.jsonb, .bytes(let b)), (.uuid, .bytes(let b)),
            (.numeric, .bytes(let b)), (.time, .bytes(let b)):
            guard b.count <= maxStringStatBytes, type == .text || type == .uuid else { return nil }
            return .string(String(decoding: b, as: UTF8.self))
        default: return nil
        }
    }

    static func decimal(_ unscaled: Int128, _ scale: Int) -> JSONValue? {
        Double(DecimalText.format(unscaled: unscaled, scale: scale)).map { .double($0) }
    }

    static func iso(_ micros: Int64, zoned: Bool) -> String {
        let s = TimeText.formatTimestamp(micros: micros, zoned: false).replacingOccurrences(of: " ", with: "T")
        let withFraction = s.contains(".") ? s : s + ".000000"
        return zoned ? withFraction + "Z" : withFraction
    }

    /// The statistic of `column` in `stats` as a comparable scalar, for watermarks and merge pruning.
    static func scalar(_ value: JSONValue?, type: ColumnType) -> ScalarValue? {
        guard let value else { return nil }
        switch (type, value) {
        case (.int16, .int(let v)), (.int32, .int(let v)), (.int64, .int(let v)): return .int(v)
        case (.date, .string(let s)): return TimeText.parseDate(s).map { .date($0) }
        case (.timestamp, .string(let s)): return TimeText.parseTimestamp(s).map { .timestamp($0.micros, zoned: false) }
        case (.timestampTZ, .string(let s)):
            return TimeText.parseTimestamp(s).map { .timestamp($0.micros, zoned: true) }
        case (.text, .string(let s)), (.uuid, .string(let s)): return .text(s)
        case (.float32, .double(let d)), (.float64, .double(let d)): return .double(d)
        case (.decimal(_, let scale), .double(let d)):
            return DecimalText.parse(String(d), scale: scale).map { .decimal($0, scale: scale) }
        case (.decimal(_, let scale), .int(let i)): return .decimal(Int128(i) * pow10(scale), scale: scale)
        default: return nil
        }
    }

    static func pow10(_ n: Int) -> Int128 {
        var r: Int128 = 1
        for _ in 0..<max(0, n) { r *= 10 }
        return r
    }
}
