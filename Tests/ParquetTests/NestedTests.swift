import FerryTestKit
import Foundation
import Testing

@testable import Parquet

/// The canonical text of a nested value, the same form `PythonScripts.canonicalNested` prints: groups as
/// `{"g":[...]}`, lists as `{"l":[...]}`, maps as `{"m":[[k,v],...]}`, strings as `{"s":"..."}`, bytes as hex.
func canonical(_ value: ParquetValue) -> String {
    switch value {
    case .null: return "null"
    case .boolean(let value): return value ? "true" : "false"
    case .int32(let value): return String(value)
    case .int64(let value): return String(value)
    case .float(let value): return String(value)
    case .double(let value): return String(value)
    case .bytes(let value): return "\"\(hex(value))\""
    case .string(let value):
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"s\":\"\(escaped)\"}"
    case .group(let values): return "{\"g\":[\(values.map(canonical).joined(separator: ","))]}"
    case .list(let values): return "{\"l\":[\(values.map(canonical).joined(separator: ","))]}"
    case .map(let entries):
        return "{\"m\":[\(entries.map { "[\(canonical($0.key)),\(canonical($0.value))]" }.joined(separator: ","))]}"
    }
}

func canonical(row: [ParquetValue]) -> String {
    "[\(row.map(canonical).joined(separator: ","))]"
}

/// A Delta-checkpoint-like schema: structs holding maps and lists, plus a list of lists and a list of structs.
enum CheckpointSample {
    static let string = ParquetField(name: "s", physicalType: .byteArray, logicalType: .string)
    static func required(_ name: String, _ type: PhysicalType, _ logical: LogicalType = .none) -> SchemaNode {
        .primitive(ParquetField(name: name, physicalType: type, logicalType: logical, nullable: false))
    }
    static func optional(_ name: String, _ type: PhysicalType, _ logical: LogicalType = .none) -> SchemaNode {
        .primitive(ParquetField(name: name, physicalType: type, logicalType: logical, nullable: true))
    }
    static let stringMap = SchemaNode.map(
        name: "m", nullable: true, key: required("key", .byteArray, .string),
        value: optional("value", .byteArray, .string))

    static let nodes: [SchemaNode] = [
        required("version", .int64),
        .group(
            name: "add", nullable: true,
            children: [
                required("path", .byteArray, .string), stringMap.renamed("partitionValues"),
                required("size", .int64), optional("stats", .byteArray, .string),
                required("dataChange", .boolean), stringMap.renamed("tags"),
            ]),
        .group(
            name: "protocol", nullable: true,
            children: [
                required("minReaderVersion", .int32),
                .list(name: "readerFeatures", nullable: true, element: optional("element", .byteArray, .string)),
            ]),
        .list(
            name: "matrix", nullable: true,
            element: .list(name: "row", nullable: true, element: optional("cell", .int32))),
        .list(
            name: "points", nullable: false,
            element: .group(
                name: "point", nullable: true,
                children: [required("x", .int32), optional("label", .byteArray, .string)])),
        optional("blob", .fixedLenByteArray(4)),
    ]

    static func rows(_ count: Int, seed: UInt64 = 3) -> [[ParquetValue]] {
        var generator = SeededGenerator(seed: seed)
        func pick(_ n: UInt64) -> Int { Int(generator.next() % n) }
        func map(_ index: Int) -> ParquetValue {
            switch pick(4) {
            case 0: return .null
            case 1: return .map([])
            default:
                return .map(
                    (0..<(1 + pick(3))).map { entry in
                        MapEntry(
                            key: .string("k\(entry)"),
                            value: pick(3) == 0 ? .null : .string("v\(index)-\(entry) ü"))
                    })
            }
        }
        return (0..<count).map { index -> [ParquetValue] in
            let add: ParquetValue =
                pick(5) == 0
                ? .null
                : .group([
                    .string("part-\(index).parquet"), map(index), .int64(Int64(index) * 1000),
                    pick(2) == 0 ? .null : .string("{\"numRecords\":\(index)}"), .boolean(index % 2 == 0),
                    map(index + 1),
                ])
            let features: ParquetValue
            switch pick(4) {
            case 0: features = .null
            case 1: features = .list([])
            default: features = .list([.string("deletionVectors"), .null, .string("timestampNtz")])
            }
            let protocolValue: ParquetValue = pick(3) == 0 ? .null : .group([.int32(Int32(index % 4)), features])
            let matrix: ParquetValue
            switch pick(5) {
            case 0: matrix = .null
            case 1: matrix = .list([])
            case 2: matrix = .list([.null, .list([])])
            default:
                matrix = .list(
                    (0..<(1 + pick(3))).map { _ in
                        .list((0..<pick(4)).map { _ in pick(4) == 0 ? .null : .int32(Int32(pick(1000)) - 500) })
                    })
            }
            let points: ParquetValue = .list(
                (0..<pick(3)).map { point in
                    pick(4) == 0 ? .null : .group([.int32(Int32(point)), pick(2) == 0 ? .null : .string("p\(point)")])
                })
            let blob: ParquetValue = pick(3) == 0 ? .null : .bytes([1, 2, 3, UInt8(index % 256)])
            return [.int64(Int64(index)), add, protocolValue, matrix, points, blob]
        }
    }
}

@Suite struct NestedTests {
    @Test func nestedRowsRoundTripThroughOwnReader() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("checkpoint.parquet")
        let rows = CheckpointSample.rows(3000)
        var options = smallOptions(.zstd())
        options.rowGroupBytes = 16 << 10
        let writer = try ParquetWriter(path: path, nodes: CheckpointSample.nodes, options: options)
        for start in stride(from: 0, to: rows.count, by: 250) {
            try writer.write(rows: Array(rows[start..<min(start + 250, rows.count)]))
        }
        let written = try writer.close()
        #expect(written.numRows == 3000)
        #expect(written.rowGroups > 1)

        let reader = try ParquetReader(path: path)
        #expect(reader.nodes == CheckpointSample.nodes.map(Self.normalised))
        #expect(reader.schema.fields.map(\.name) == ["version", "blob"])
        var read: [[ParquetValue]] = []
        for group in 0..<reader.rowGroupCount { read.append(contentsOf: try reader.readRows(rowGroup: group)) }
        #expect(read.count == rows.count)
        for (index, (actual, expected)) in zip(read, rows).enumerated() where actual != expected {
            Issue.record("row \(index): \(canonical(row: actual)) != \(canonical(row: expected))")
            break
        }
        // Projection of nested columns, and columnar reads of the flat ones.
        let projected = try reader.readRows(rowGroup: 0, columns: ["matrix", "version"])
        #expect(projected.first == [rows[0][3], rows[0][0]])
        let flat = try reader.readRowGroup(0, columns: ["version"])
        #expect(flat[0].count == reader.rowCount(ofRowGroup: 0))
        let nestedColumn = #expect(throws: ParquetError.self) { try reader.readRowGroup(0, columns: ["add"]) }
        #expect(nestedColumn?.code == .unsupported)
    }

    /// The node as the reader reports it: list elements and map entries under their standard names.
    private static func normalised(_ node: SchemaNode) -> SchemaNode {
        switch node {
        case .primitive: return node
        case .group(let name, let nullable, let children):
            return .group(name: name, nullable: nullable, children: children.map(normalised))
        case .list(let name, let nullable, let element):
            return .list(name: name, nullable: nullable, element: normalised(element.renamed("element")))
        case .map(let name, let nullable, let key, let value):
            return .map(
                name: name, nullable: nullable, key: normalised(key.renamed("key")),
                value: normalised(value.renamed("value")))
        }
    }

    @Test func valuesThatDontFitTheSchemaAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try ParquetWriter(path: directory.path("bad.parquet"), nodes: CheckpointSample.nodes)
        var row = CheckpointSample.rows(1)[0]
        row[0] = .null
        let error = #expect(throws: ParquetError.self) { try writer.write(rows: [row]) }
        #expect(error?.code == .invalidBatch)
        row = CheckpointSample.rows(1)[0]
        row[4] = .group([])
        #expect(throws: ParquetError.self) { try writer.write(rows: [row]) }
        #expect(throws: ParquetError.self) { try writer.write(rows: [[.int64(1)]]) }
        try writer.write(rows: CheckpointSample.rows(5))
        #expect(try writer.close().numRows == 5)
        let nullableKey = SchemaNode.map(
            name: "m", nullable: true, key: CheckpointSample.optional("k", .int32),
            value: CheckpointSample.optional("v", .int32))
        #expect(throws: ParquetError.self) {
            _ = try ParquetWriter(path: directory.path("key.parquet"), nodes: [nullableKey])
        }
    }

    @Test func pyarrowReadsOurNestedFilesAndWeReadItsOwn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ours = directory.path("ours.parquet")
        let rows = CheckpointSample.rows(1500, seed: 11)
        var options = smallOptions(.snappy)
        options.rowGroupBytes = 24 << 10
        let writer = try ParquetWriter(path: ours, nodes: CheckpointSample.nodes, options: options)
        for start in stride(from: 0, to: rows.count, by: 300) {
            try writer.write(rows: Array(rows[start..<(start + 300)]))
        }
        try writer.close()
        let result = try #require(
            try runPython(PythonScripts.nestedRoundTrip, [ours, directory.url.path]) as? [String: Any])
        let ourRows = try #require(result["ours"] as? [String])
        #expect(ourRows.count == rows.count)
        for (index, (python, expected)) in zip(ourRows, rows).enumerated() where python != canonical(row: expected) {
            Issue.record("row \(index): pyarrow read \(python), wrote \(canonical(row: expected))")
            break
        }
        let files = try #require(result["files"] as? [String: [String]])
        #expect(files.count == 4)
        for (name, expectedRows) in files {
            let reader = try ParquetReader(path: directory.path(name))
            var actual: [String] = []
            for group in 0..<reader.rowGroupCount {
                actual.append(contentsOf: try reader.readRows(rowGroup: group).map { canonical(row: $0) })
            }
            #expect(actual.count == expectedRows.count, "\(name)")
            for (index, (mine, theirs)) in zip(actual, expectedRows).enumerated() where mine != theirs {
                Issue.record("\(name) row \(index): read \(mine), pyarrow wrote \(theirs)")
                break
            }
        }
    }
}
