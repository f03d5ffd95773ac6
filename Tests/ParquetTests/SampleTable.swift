import FerryTestKit
import Parquet

/// A table with every supported type, awkward values (extremes, NaN, -0.0, empty and non-ASCII strings), NULLs,
/// a low-cardinality string column (stays dictionary-encoded) and a high-cardinality one (falls back to PLAIN).
struct SampleTable {
    static let schema = ParquetSchema(fields: [
        ParquetField(name: "i32", physicalType: .int32, nullable: false),
        ParquetField(name: "i64", physicalType: .int64),
        ParquetField(name: "f32", physicalType: .float),
        ParquetField(name: "f64", physicalType: .double, nullable: false),
        ParquetField(name: "flag", physicalType: .boolean),
        ParquetField(name: "name", physicalType: .byteArray, logicalType: .string),
        ParquetField(name: "uniq", physicalType: .byteArray, logicalType: .string, nullable: false),
        ParquetField(name: "blob", physicalType: .byteArray),
        ParquetField(name: "day", physicalType: .int32, logicalType: .date),
        ParquetField(name: "ts_utc", physicalType: .int64, logicalType: .timestamp(utcAdjusted: true)),
        ParquetField(
            name: "ts_local", physicalType: .int64, logicalType: .timestamp(utcAdjusted: false), nullable: false),
        ParquetField(name: "dec9", physicalType: .int32, logicalType: .decimal(precision: 9, scale: 2)),
        ParquetField(name: "dec18", physicalType: .int64, logicalType: .decimal(precision: 18, scale: 4)),
        ParquetField(
            name: "dec38", physicalType: .fixedLenByteArray(16), logicalType: .decimal(precision: 38, scale: 10)),
        ParquetField(name: "small", physicalType: .int32, logicalType: .integer(bitWidth: 16, signed: true)),
        ParquetField(name: "u32", physicalType: .int32, logicalType: .integer(bitWidth: 32, signed: false)),
        ParquetField(name: "uid", physicalType: .fixedLenByteArray(16), logicalType: .uuid),
        ParquetField(name: "doc", physicalType: .byteArray, logicalType: .json),
        ParquetField(name: "nothing", physicalType: .byteArray, logicalType: .string),
    ])

    /// `batchCount` batches of `rowsPerBatch` rows each.
    static func batches(count batchCount: Int, rows rowsPerBatch: Int, seed: UInt64 = 7) -> [[ColumnBatch]] {
        var generator = SeededGenerator(seed: seed)
        var batches: [[ColumnBatch]] = []
        for batch in 0..<batchCount {
            batches.append(makeBatch(first: batch * rowsPerBatch, rows: rowsPerBatch, generator: &generator))
        }
        return batches
    }

    private static func makeBatch(first: Int, rows: Int, generator: inout SeededGenerator) -> [ColumnBatch] {
        let indices = Array(first..<(first + rows))
        func nullEvery(_ period: Int) -> [Bool] { indices.map { $0 % period != period - 1 } }
        func random() -> UInt64 { generator.next() }

        let i32 = indices.map { row -> Int32 in
            switch row % 50 {
            case 0: .min
            case 1: .max
            case 2: 0
            default: Int32(truncatingIfNeeded: random()) % 100_000
            }
        }
        let i64 = indices.map { row -> Int64 in
            switch row % 40 {
            case 3: .min
            case 4: .max
            default: Int64(bitPattern: random()) >> (random() % 60)
            }
        }
        let floatSpecials: [Float] = [
            -0.0, 0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        ]
        let f32 = indices.map { row -> Float in
            row % 13 < floatSpecials.count ? floatSpecials[row % 13] : Float(Int(random() % 20001) - 10000) / 7
        }
        let doubleSpecials: [Double] = [.nan, -0.0, .leastNormalMagnitude, -.greatestFiniteMagnitude, 1e300]
        let f64 = indices.map { row -> Double in
            row % 17 < doubleSpecials.count
                ? doubleSpecials[row % 17] : Double(Int64(bitPattern: random()) % 1_000_000) / 1000
        }
        let flags = indices.map { _ in random() % 3 == 0 }
        let names: [String] = ["", "alice", "Bob", "ünïcødé", "🦆 duck", "日本語", "a\u{0}b", "zzz"]
        let name = indices.map { _ in Array(names[Int(random() % UInt64(names.count))].utf8) }
        let uniq = indices.map { row in Array("row-\(row)-\(random() % 1_000_000_007)".utf8) }
        let blob = indices.map { row in (0..<(row % 9)).map { _ in UInt8(truncatingIfNeeded: random()) } }
        let day = indices.map { row in Int32(row % 40_000) - 20_000 }
        let tsUTC = indices.map { row in Int64(row) * 1_000_003_007 - 5_000_000_000_000 }
        let tsLocal = indices.map { _ in Int64(bitPattern: random()) >> 8 }
        let dec9 = indices.map { row -> Int32 in
            row % 11 == 0 ? 999_999_999 : row % 11 == 1 ? -999_999_999 : Int32(row) * -37
        }
        let dec18 = indices.map { row -> Int64 in
            row % 9 == 0 ? 999_999_999_999_999_999 : row % 9 == 1 ? -999_999_999_999_999_999 : Int64(row) * 1_234_567
        }
        let max38 = Int128("99999999999999999999999999999999999999") ?? 0
        let dec38 = indices.flatMap { row -> [UInt8] in
            let value: Int128 =
                switch row % 6 {
                case 0: max38
                case 1: -max38
                case 2: 0
                case 3: -1
                default: Int128(Int64(bitPattern: random())) * 1_000_003 * (row % 2 == 0 ? 1 : -1)
                }
            return bigEndianBytes(value, width: 16)
        }
        let small = indices.map { row in Int32(Int16(truncatingIfNeeded: row * 977)) }
        let u32 = indices.map { row in Int32(bitPattern: UInt32(truncatingIfNeeded: row) &* 2_654_435_761) }
        let uid = indices.flatMap { _ in (0..<16).map { _ in UInt8(truncatingIfNeeded: random()) } }
        let doc = indices.map { row in Array("{\"row\": \(row), \"ok\": \(row % 2 == 0)}".utf8) }
        return [
            ColumnBatch(values: .int32(i32)),
            ColumnBatch(values: .int64(i64), validity: nullEvery(7)),
            ColumnBatch(values: .float(f32), validity: nullEvery(11)),
            ColumnBatch(values: .double(f64)),
            ColumnBatch(values: .boolean(flags), validity: nullEvery(5)),
            ColumnBatch(values: byteArrayValues(name), validity: nullEvery(6)),
            ColumnBatch(values: byteArrayValues(uniq)),
            ColumnBatch(values: byteArrayValues(blob), validity: nullEvery(4)),
            ColumnBatch(values: .int32(day), validity: nullEvery(10)),
            ColumnBatch(values: .int64(tsUTC), validity: nullEvery(3)),
            ColumnBatch(values: .int64(tsLocal)),
            ColumnBatch(values: .int32(dec9), validity: nullEvery(8)),
            ColumnBatch(values: .int64(dec18)),
            ColumnBatch(values: .fixedLen(width: 16, data: dec38), validity: nullEvery(9)),
            ColumnBatch(values: .int32(small)),
            ColumnBatch(values: .int32(u32), validity: nil),
            ColumnBatch(values: .fixedLen(width: 16, data: uid), validity: nullEvery(12)),
            ColumnBatch(values: byteArrayValues(doc), validity: nil),
            ColumnBatch(values: byteArrayValues(indices.map { _ in [] }), validity: indices.map { _ in false }),
        ]
    }

    /// Every column's batches joined, one ``ColumnBatch`` per field.
    static func columns(of batches: [[ColumnBatch]]) -> [ColumnBatch] {
        schema.fields.indices.map { column in concatenate(batches.map { $0[column] }) }
    }
}
