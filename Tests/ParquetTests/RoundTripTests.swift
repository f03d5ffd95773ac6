import Foundation
import Testing

@testable import Parquet

/// All row groups of a file, joined per column.
func readAll(_ reader: ParquetReader, columns: [String]? = nil) throws -> [ColumnBatch] {
    let groups = try (0..<reader.rowGroupCount).map { try reader.readRowGroup($0, columns: columns) }
    let count = columns?.count ?? reader.schema.fields.count
    return (0..<count).map { column in concatenate(groups.map { $0[column] }) }
}

/// Writes `batches` to `path` and returns what the writer reported.
@discardableResult
func writeFile(
    _ path: String, schema: ParquetSchema, batches: [[ColumnBatch]], options: WriterOptions
) throws -> WrittenFile {
    let writer = try ParquetWriter(path: path, schema: schema, options: options)
    for batch in batches { try writer.write(batch) }
    return try writer.close()
}

/// Small sizes, so a few thousand rows make several row groups, many pages and a dictionary fallback.
func smallOptions(_ codec: Codec) -> WriterOptions {
    WriterOptions(
        codec: codec, rowGroupBytes: 48 << 10, pageBytes: 4 << 10, dictionaryMaxBytes: 6 << 10,
        keyValueMetadata: ["origin": "ferry tests", "empty": ""])
}

@Suite struct RoundTripTests {
    @Test(arguments: [Codec.uncompressed, .snappy, .gzip, .zstd()])
    func everyTypeRoundTripsThroughOwnReader(codec: Codec) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("all.parquet")
        let batches = SampleTable.batches(count: 3, rows: 1000)
        let written = try writeFile(path, schema: SampleTable.schema, batches: batches, options: smallOptions(codec))
        let expected = SampleTable.columns(of: batches)

        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(written.fileSize == size)
        #expect(written.numRows == 3000)
        #expect(written.rowGroups > 1)

        let reader = try ParquetReader(path: path)
        #expect(reader.schema == SampleTable.schema)
        #expect(reader.numRows == 3000)
        #expect(reader.rowGroupCount == written.rowGroups)
        #expect(reader.keyValueMetadata == ["origin": "ferry tests", "empty": ""])
        #expect(reader.createdBy == "ferry-parquet version 0.1")
        let actual = try readAll(reader)
        for (index, field) in SampleTable.schema.fields.enumerated() {
            #expect(tokens(actual[index], field: field) == tokens(expected[index], field: field), "\(field.name)")
        }
        // File-level summaries add up the row groups' statistics.
        for (index, summary) in written.columns.enumerated() {
            let nulls = (0..<expected[index].count).filter { expected[index].isNull($0) }.count
            #expect(summary.nullCount == nulls, "\(summary.name)")
        }
        let summary = Dictionary(uniqueKeysWithValues: written.columns.map { ($0.name, $0) })
        #expect(summary["i32"]?.min == .int32(.min))
        #expect(summary["i32"]?.max == .int32(.max))
        #expect(summary["f32"]?.min == .float(-.infinity))
        #expect(summary["f64"]?.max == .double(1e300))
        #expect(summary["flag"]?.min == .boolean(false))
        #expect(summary["name"]?.min == .bytes([]))
        #expect(summary["name"]?.max == .bytes(Array("🦆 duck".utf8)))
        #expect(summary["u32"]?.max == .int32(Int32(bitPattern: summaryMaxUnsigned(expected[15]))))
        #expect(summary["nothing"]?.min == nil)
        #expect(summary["nothing"]?.nullCount == 3000)
        let max38 = Int128("99999999999999999999999999999999999999") ?? 0
        #expect(summary["dec38"]?.min == .bytes(bigEndianBytes(-max38, width: 16)))
        #expect(summary["dec38"]?.max == .bytes(bigEndianBytes(max38, width: 16)))
    }

    private func summaryMaxUnsigned(_ batch: ColumnBatch) -> UInt32 {
        guard case .int32(let values) = batch.values else { return 0 }
        return values.map { UInt32(bitPattern: $0) }.max() ?? 0
    }

    @Test func projectionReadsTheNamedColumnsInTheGivenOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("projection.parquet")
        let batches = SampleTable.batches(count: 2, rows: 700)
        try writeFile(path, schema: SampleTable.schema, batches: batches, options: smallOptions(.zstd()))
        let expected = SampleTable.columns(of: batches)
        let reader = try ParquetReader(path: path)
        let projected = try readAll(reader, columns: ["uniq", "i32", "dec38"])
        let fields = SampleTable.schema.fields
        #expect(tokens(projected[0], field: fields[6]) == tokens(expected[6], field: fields[6]))
        #expect(tokens(projected[1], field: fields[0]) == tokens(expected[0], field: fields[0]))
        #expect(tokens(projected[2], field: fields[13]) == tokens(expected[13], field: fields[13]))
        let error = #expect(throws: ParquetError.self) { try reader.readRowGroup(0, columns: ["missing"]) }
        #expect(error?.code == .unknownColumn)
    }

    @Test func withoutDictionaryEverythingIsPlain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("plain.parquet")
        var options = smallOptions(.snappy)
        options.dictionary = false
        options.pageChecksums = true
        let batches = SampleTable.batches(count: 1, rows: 1500)
        try writeFile(path, schema: SampleTable.schema, batches: batches, options: options)
        let expected = SampleTable.columns(of: batches)
        let actual = try readAll(try ParquetReader(path: path))
        for (index, field) in SampleTable.schema.fields.enumerated() {
            #expect(tokens(actual[index], field: field) == tokens(expected[index], field: field), "\(field.name)")
        }
    }

    @Test func parallelEncodingWritesTheSameBytesAsOneThread() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let batches = SampleTable.batches(count: 2, rows: 1200)
        var files: [Data] = []
        for threads in [1, 3] {
            var options = smallOptions(.zstd())
            options.threads = threads
            let path = directory.path("threads-\(threads).parquet")
            try writeFile(path, schema: SampleTable.schema, batches: batches, options: options)
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(files[0] == files[1])
        let expected = SampleTable.columns(of: batches)
        for threads in [1, 4] {
            let reader = try ParquetReader(path: directory.path("threads-3.parquet"), threads: threads)
            let actual = try readAll(reader)
            for (index, field) in SampleTable.schema.fields.enumerated() {
                #expect(tokens(actual[index], field: field) == tokens(expected[index], field: field), "\(field.name)")
            }
        }
    }

    @Test func anEmptyFileHasTheSchemaAndNoRowGroups() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("empty.parquet")
        let writer = try ParquetWriter(path: path, schema: SampleTable.schema)
        try writer.write(SampleTable.batches(count: 1, rows: 0)[0])
        let written = try writer.close()
        #expect(written.numRows == 0)
        #expect(written.columns.allSatisfy { $0.min == nil && $0.nullCount == 0 })
        let reader = try ParquetReader(path: path)
        #expect(reader.numRows == 0)
        #expect(reader.rowGroupCount == 0)
        #expect(reader.schema == SampleTable.schema)
    }

    @Test func badBatchesAreRefusedAndLeaveTheWriterUsable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("refused.parquet")
        let schema = ParquetSchema(fields: [
            ParquetField(name: "id", physicalType: .int64, nullable: false),
            ParquetField(name: "name", physicalType: .byteArray, logicalType: .string),
        ])
        let writer = try ParquetWriter(path: path, schema: schema)
        let good = [ColumnBatch(values: .int64([1, 2])), ColumnBatch(values: byteArrayValues([[65], [66]]))]
        let bad: [[ColumnBatch]] = [
            [good[0]],
            [ColumnBatch(values: .int32([1, 2])), good[1]],
            [ColumnBatch(values: .int64([1, 2]), validity: [true, false]), good[1]],
            [ColumnBatch(values: .int64([1])), good[1]],
            [good[0], ColumnBatch(values: .byteArray(offsets: [0, 5, 1], data: [1]))],
            [good[0], ColumnBatch(values: good[1].values, validity: [true])],
        ]
        for batch in bad {
            let error = #expect(throws: ParquetError.self) { try writer.write(batch) }
            #expect(error?.code == .invalidBatch)
        }
        try writer.write(good)
        #expect(try writer.close().numRows == 2)
        #expect(throws: ParquetError.self) { try writer.write(good) }
        let values = try readAll(try ParquetReader(path: path))
        #expect(values[0].values == .int64([1, 2]))
    }

    @Test func inconsistentSchemasAreRefused() {
        let schemas: [ParquetField] = [
            ParquetField(name: "s", physicalType: .int32, logicalType: .string),
            ParquetField(name: "d", physicalType: .int64, logicalType: .decimal(precision: 19, scale: 2)),
            ParquetField(
                name: "d", physicalType: .fixedLenByteArray(8), logicalType: .decimal(precision: 19, scale: 2)),
            ParquetField(name: "u", physicalType: .fixedLenByteArray(15), logicalType: .uuid),
            ParquetField(name: "t", physicalType: .int32, logicalType: .timestamp(utcAdjusted: true)),
            ParquetField(name: "", physicalType: .int32),
        ]
        for field in schemas {
            let error = #expect(throws: ParquetError.self) {
                _ = try ParquetWriter(path: "/nonexistent/never.parquet", schema: ParquetSchema(fields: [field]))
            }
            #expect(error?.code == .invalidSchema)
        }
        #expect(SchemaConversion.maxDecimalPrecision(bytes: 16) == 38)
        #expect(SchemaConversion.maxDecimalPrecision(bytes: 8) == 18)
        #expect(SchemaConversion.maxDecimalPrecision(bytes: 4) == 9)
    }

    @Test func corruptFilesFailWithCorrupt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("good.parquet")
        try writeFile(
            path, schema: SampleTable.schema, batches: SampleTable.batches(count: 1, rows: 300),
            options: smallOptions(.zstd()))
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let broken = directory.path("broken.parquet")
        for variant in [Array(bytes.prefix(bytes.count - 1)), Array(bytes.prefix(11)), Array("PAR1PAR1PAR1".utf8)] {
            try Data(variant).write(to: URL(fileURLWithPath: broken))
            let error = #expect(throws: ParquetError.self) { _ = try ParquetReader(path: broken) }
            #expect(error?.code == .corrupt)
        }
        // Damage a page in the middle: reading must fail cleanly (or, if only values changed, still not crash).
        var damaged = bytes
        for offset in stride(from: 100, to: bytes.count / 2, by: 97) { damaged[offset] ^= 0x5A }
        try Data(damaged).write(to: URL(fileURLWithPath: broken))
        let reader = try ParquetReader(path: broken)
        _ = try? readAll(reader)
        let missing = #expect(throws: ParquetError.self) { _ = try ParquetReader(path: directory.path("none")) }
        #expect(missing?.code == .io)
    }
}
