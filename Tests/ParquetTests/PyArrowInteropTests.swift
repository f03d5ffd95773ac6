import Foundation
import Testing

@testable import Parquet

/// Expected row-group statistics of `batch[rows]`, in the raw-token form the Python side prints.
private func expectedStatistics(
    _ batch: ColumnBatch, field: ParquetField, rows: Range<Int>
) -> (nulls: Int, min: String?, max: String?) {
    let valid = rows.filter { !batch.isNull($0) }
    let nulls = rows.count - valid.count
    func floatToken<F: BinaryFloatingPoint>(_ values: [F], hexOf: (F) -> String) -> (String?, String?) {
        let numbers = valid.map { values[$0] }.filter { !$0.isNaN }
        guard var low = numbers.min(), var high = numbers.max() else { return (nil, nil) }
        if low == 0 { low = -F.zero }
        if high == 0 { high = F.zero }
        return (hexOf(low), hexOf(high))
    }
    let bounds: (String?, String?)
    switch batch.values {
    case .boolean(let values):
        let seen = Set(valid.map { values[$0] })
        bounds =
            seen.isEmpty
            ? (nil, nil) : (seen.contains(false) ? "false" : "true", seen.contains(true) ? "true" : "false")
    case .int32(let values):
        let unsigned: Bool
        if case .integer(_, false) = field.logicalType { unsigned = true } else { unsigned = false }
        let chosen = valid.map { values[$0] }
        let low = unsigned ? chosen.min { UInt32(bitPattern: $0) < UInt32(bitPattern: $1) } : chosen.min()
        let high = unsigned ? chosen.max { UInt32(bitPattern: $0) < UInt32(bitPattern: $1) } : chosen.max()
        bounds = (low.map { String($0) }, high.map { String($0) })
    case .int64(let values):
        let chosen = valid.map { values[$0] }
        bounds = (chosen.min().map { String($0) }, chosen.max().map { String($0) })
    case .float(let values):
        bounds = floatToken(values) { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { hex($0) } }
    case .double(let values):
        bounds = floatToken(values) { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { hex($0) } }
    case .byteArray(let offsets, let data):
        let strings = valid.map { Array(data[offsets[$0]..<offsets[$0 + 1]]) }
        let low = strings.min { $0.lexicographicallyPrecedes($1) }
        let high = strings.max { $0.lexicographicallyPrecedes($1) }
        bounds = (low.map { hex($0) }, high.map { hex($0) })
    case .fixedLen(let width, let data):
        let strings = valid.map { Array(data[($0 * width)..<(($0 + 1) * width)]) }
        let less: ([UInt8], [UInt8]) -> Bool
        if case .decimal = field.logicalType {
            less = { int128(bigEndian: $0[...]) < int128(bigEndian: $1[...]) }
        } else {
            less = { $0.lexicographicallyPrecedes($1) }
        }
        bounds = (strings.min(by: less).map { hex($0) }, strings.max(by: less).map { hex($0) })
    case .list, .structure:
        bounds = (nil, nil)
    }
    return (nulls, bounds.0, bounds.1)
}

/// `{"column": ["token", null, …]}` from JSON, with JSON nulls as `nil`.
private func tokenLists(_ json: Any?) -> [String: [String?]] {
    guard let object = json as? [String: [Any]] else { return [:] }
    return object.mapValues { list in list.map { $0 as? String } }
}

@Suite struct PyArrowInteropTests {
    private static let expectedArrowTypes: [String: String] = [
        "i32": "int32", "i64": "int64", "f32": "float", "f64": "double", "flag": "bool", "name": "string",
        "uniq": "string", "blob": "binary", "day": "date32[day]", "ts_utc": "timestamp[us, tz=UTC]",
        "ts_local": "timestamp[us]", "dec9": "decimal128(9, 2)", "dec18": "decimal128(18, 4)",
        "dec38": "decimal128(38, 10)", "small": "int16", "u32": "uint32", "uid": "extension<arrow.uuid>",
        "doc": "extension<arrow.json>", "nothing": "string",
    ]

    @Test func pyarrowReadsEveryValueTypeAndStatisticOfOurFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let codecs: [(String, Codec)] = [
            ("UNCOMPRESSED", .uncompressed), ("SNAPPY", .snappy), ("GZIP", .gzip), ("ZSTD", .zstd(level: 1)),
        ]
        let batches = SampleTable.batches(count: 3, rows: 1000)
        let expected = SampleTable.columns(of: batches)
        var paths: [String] = []
        for (name, codec) in codecs {
            let path = directory.path("\(name).parquet")
            var options = smallOptions(codec)
            options.pageChecksums = name == "GZIP"
            try writeFile(path, schema: SampleTable.schema, batches: batches, options: options)
            paths.append(path)
        }
        let emptyPath = directory.path("empty.parquet")
        try writeFile(emptyPath, schema: SampleTable.schema, batches: [], options: WriterOptions())
        paths.append(emptyPath)

        let described = try #require(try runPython(PythonScripts.describeFiles, paths) as? [[String: Any]])
        #expect(described.count == paths.count)
        for (file, (codecName, _)) in zip(described, codecs) {
            #expect(file["num_rows"] as? Int == 3000)
            #expect(file["created_by"] as? String == "ferry-parquet version 0.1")
            #expect(file["metadata"] as? [String: String] == ["origin": "ferry tests", "empty": ""])
            #expect(file["arrow_types"] as? [String: String] == Self.expectedArrowTypes, "\(codecName)")
            let logical = file["logical_types"] as? [String: String] ?? [:]
            #expect(logical["ts_utc"]?.hasPrefix("Timestamp(isAdjustedToUTC=true, timeUnit=microseconds") == true)
            #expect(logical["ts_local"]?.hasPrefix("Timestamp(isAdjustedToUTC=false, timeUnit=microseconds") == true)
            #expect(logical["dec38"] == "Decimal(precision=38, scale=10)")
            #expect(logical["small"] == "Int(bitWidth=16, isSigned=true)")
            #expect(logical["uid"] == "UUID")

            let values = tokenLists(file["values"])
            for (index, field) in SampleTable.schema.fields.enumerated() {
                let mine = tokens(expected[index], field: field)
                #expect(values[field.name] == mine, "\(codecName) column \(field.name)")
            }

            let groups = file["row_groups"] as? [[String: Any]] ?? []
            #expect(groups.count > 1, "\(codecName): several row groups")
            var first = 0
            var uniqEncodings = Set<String>()
            for group in groups {
                let rows = try #require(group["num_rows"] as? Int)
                let columns = group["columns"] as? [[String: Any]] ?? []
                for (index, field) in SampleTable.schema.fields.enumerated() {
                    let column = columns[index]
                    let statistics = expectedStatistics(expected[index], field: field, rows: first..<(first + rows))
                    #expect(column["compression"] as? String == codecName)
                    #expect(column["null_count"] as? Int == statistics.nulls, "\(field.name)")
                    #expect(column["has_min_max"] as? Bool == (statistics.min != nil), "\(field.name)")
                    #expect(column["min"] as? String == statistics.min, "\(codecName) min of \(field.name)")
                    #expect(column["max"] as? String == statistics.max, "\(codecName) max of \(field.name)")
                    if field.name == "uniq" { uniqEncodings.formUnion(column["encodings"] as? [String] ?? []) }
                    if field.name == "name" {
                        #expect(column["has_dictionary"] as? Bool == true)
                        #expect(column["encodings"] as? [String] == ["PLAIN", "RLE", "RLE_DICTIONARY"])
                    }
                }
                first += rows
            }
            #expect(first == 3000)
            // The high-cardinality column outgrew its dictionary and fell back to PLAIN.
            #expect(uniqEncodings == ["PLAIN", "RLE", "RLE_DICTIONARY"])
        }
        let empty = try #require(described.last)
        #expect(empty["num_rows"] as? Int == 0)
        #expect(empty["arrow_types"] as? [String: String] == Self.expectedArrowTypes)
        #expect(tokenLists(empty["values"])["i32"]?.isEmpty == true)
    }

    @Test func ourReaderReadsWhatPyarrowWrites() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let written = try #require(try runPython(PythonScripts.writeFiles, [directory.url.path]) as? [String: Any])
        let files = try #require(written["files"] as? [String])
        let values = tokenLists(written["values"])
        #expect(values.count == 13)
        #expect(files.count == 9)
        for name in files {
            let reader = try ParquetReader(path: directory.path("\(name).parquet"))
            #expect(reader.numRows == 2500)
            #expect(reader.createdBy?.hasPrefix("parquet-cpp-arrow") == true)
            let columns = try readAll(reader)
            for (index, field) in reader.schema.fields.enumerated() {
                #expect(tokens(columns[index], field: field) == values[field.name], "\(name) column \(field.name)")
            }
            let fields = Dictionary(uniqueKeysWithValues: reader.schema.fields.map { ($0.name, $0) })
            #expect(fields["ts"]?.logicalType == .timestamp(utcAdjusted: true, unit: .microseconds))
            #expect(fields["day"]?.logicalType == .date)
            #expect(fields["word"]?.logicalType == .string)
            #expect(fields["word"]?.nullable == true)
            #expect(fields["dec"]?.logicalType == .decimal(precision: 12, scale: 2))
            #expect(fields["dec"]?.physicalType == (name == "int_decimals" ? .int64 : .fixedLenByteArray(6)))
            #expect(fields["fixed"]?.physicalType == .fixedLenByteArray(3))
            if name == "groups" { #expect(reader.rowGroupCount > 3) }
        }
        // Projection, in a different order, from a file with several row groups.
        let reader = try ParquetReader(path: directory.path("groups.parquet"))
        let projected = try readAll(reader, columns: ["uniq", "dec38", "i32"])
        let fields = Dictionary(uniqueKeysWithValues: reader.schema.fields.map { ($0.name, $0) })
        for (index, name) in ["uniq", "dec38", "i32"].enumerated() {
            let field = try #require(fields[name])
            #expect(tokens(projected[index], field: field) == values[name], "projected \(name)")
        }
    }
}
