import FerryTestKit
import Foundation
import Testing

@testable import Parquet

@Suite struct ColumnarNestedTests {
    /// The rows of every row group of `path`, read columnar and turned back into values.
    private func readColumnar(_ path: String, nodes: [SchemaNode]) throws -> [[ParquetValue]] {
        let reader = try ParquetReader(path: path)
        var rows: [[ParquetValue]] = []
        for group in 0..<reader.rowGroupCount {
            let batches = try reader.readRowGroup(group)
            #expect(batches.count == nodes.count)
            let columns = zip(batches, reader.nodes).map { ColumnarNested.values($0, node: $1) }
            for row in 0..<reader.rowCount(ofRowGroup: group) { rows.append(columns.map { $0[row] }) }
        }
        return rows
    }

    private func readRows(_ path: String) throws -> [[ParquetValue]] {
        let reader = try ParquetReader(path: path)
        return try (0..<reader.rowGroupCount).flatMap { try reader.readRows(rowGroup: $0) }
    }

    private func expectSame(_ actual: [[ParquetValue]], _ expected: [[ParquetValue]], _ what: String) {
        #expect(actual.count == expected.count, "\(what)")
        for (index, (a, e)) in zip(actual, expected).enumerated() where a != e {
            Issue.record("\(what), row \(index): \(canonical(row: a)) != \(canonical(row: e))")
            return
        }
    }

    @Test(arguments: [Codec.uncompressed, .snappy, .zstd()])
    func columnarListsAndStructsRoundTrip(codec: Codec) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("lists.parquet")
        let rows = ListSample.rows(5000)
        var options = smallOptions(codec)
        options.rowGroupBytes = 32 << 10
        let writer = try ParquetWriter(path: path, nodes: ListSample.nodes, options: options)
        // Batches of uneven sizes, one large enough to be cut into slices.
        var start = 0
        for size in [1, 7, 300, 3000, 1692] {
            try writer.write(ListSample.batches(Array(rows[start..<(start + size)])))
            start += size
        }
        let written = try writer.close()
        #expect(written.numRows == rows.count)
        #expect(written.rowGroups > 1)
        // The row-at-a-time reader (the reference) and the columnar one agree with what was written.
        expectSame(try readRows(path), rows, "readRows")
        expectSame(try readColumnar(path, nodes: ListSample.nodes), rows, "readRowGroup")
        // Projection: a nested column alone and in another order.
        let reader = try ParquetReader(path: path)
        let projected = try reader.readRowGroup(0, columns: ["points", "id"])
        let count = reader.rowCount(ofRowGroup: 0)
        #expect(ColumnarNested.values(projected[0], node: reader.nodes[5]) == rows[0..<count].map { $0[5] })
        #expect(projected[1] == ColumnBatch(values: .int64((0..<Int64(count)).map { $0 })))
    }

    @Test func columnarAndRowWritersWriteTheSameRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let rows = ListSample.rows(800, seed: 9)
        let byRows = try ParquetWriter(path: directory.path("rows.parquet"), nodes: ListSample.nodes)
        try byRows.write(rows: rows)
        try byRows.close()
        let columnar = try ParquetWriter(path: directory.path("columns.parquet"), nodes: ListSample.nodes)
        try columnar.write(ListSample.batches(rows))
        try columnar.close()
        expectSame(
            try readRows(directory.path("columns.parquet")), try readRows(directory.path("rows.parquet")), "same")
    }

    @Test func emptyAndAllNullListsRoundTrip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let node = SchemaNode.list(name: "l", nullable: true, element: ListSample.optional("e", .byteArray, .string))
        let path = directory.path("edge.parquet")
        let writer = try ParquetWriter(path: path, nodes: [node])
        // NULL, empty, [NULL], [NULL, ""], ["a"]: every definition level of the leaf.
        let offsets = [0, 0, 0, 1, 3, 4]
        let elements = ColumnBatch(
            values: byteArrayValues([[], [], [], Array("a".utf8)]), validity: [false, false, true, true])
        try writer.write([
            ColumnBatch(
                values: .list(offsets: offsets, elements: elements), validity: [false, true, true, true, true])
        ])
        try writer.close()
        expectSame(
            try readColumnar(path, nodes: [node]),
            [[.null], [.list([])], [.list([.null])], [.list([.null, .string("")])], [.list([.string("a")])]],
            "edge cases")
    }

    @Test func batchesThatDontFitTheSchemaAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("bad.parquet")
        let writer = try ParquetWriter(path: path, nodes: ListSample.nodes)
        let good = ListSample.batches(ListSample.rows(10))
        func refuse(_ column: Int, _ batch: ColumnBatch, _ why: String) {
            var batches = good
            batches[column] = batch
            let error = #expect(throws: ParquetError.self, "\(why)") { try writer.write(batches) }
            #expect(error?.code == .invalidBatch, "\(why)")
        }
        guard case .list(let offsets, let elements) = good[1].values,
            case .structure(let fields) = good[3].values
        else {
            Issue.record("the sample's batches are not nested")
            return
        }
        var decreasing = offsets
        decreasing[2] = decreasing[1] + 100
        refuse(1, ColumnBatch(values: .list(offsets: decreasing, elements: elements)), "offsets past the elements")
        refuse(1, ColumnBatch(values: .list(offsets: Array(offsets.dropLast()), elements: elements)), "short offsets")
        refuse(1, ColumnBatch(values: .structure([good[0]])), "a struct for a list")
        refuse(3, ColumnBatch(values: .structure(Array(fields.dropLast()))), "a field missing")
        refuse(0, ColumnBatch(values: .list(offsets: offsets, elements: elements)), "a list for a primitive")
        refuse(2, ColumnBatch(values: good[2].values, validity: [Bool](repeating: false, count: 10)), "NULL tags")
        // Nothing of the refused batches was written.
        try writer.write(good)
        #expect(try writer.close().numRows == 10)
        expectSame(try readColumnar(path, nodes: ListSample.nodes), ListSample.rows(10), "after refusals")
    }

    @Test func pyarrowReadsOurColumnarFilesAndWeReadItsOwnColumnar() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ours = directory.path("ours.parquet")
        let rows = ListSample.rows(3000, seed: 21)
        var options = smallOptions(.snappy)
        options.rowGroupBytes = 24 << 10
        let writer = try ParquetWriter(path: ours, nodes: ListSample.nodes, options: options)
        try writer.write(ListSample.batches(rows))
        try writer.close()
        let result = try #require(
            try runPython(PythonScripts.nestedRoundTrip, [ours, directory.url.path]) as? [String: Any])
        let ourRows = try #require(result["ours"] as? [String])
        #expect(ourRows.count == rows.count)
        for (index, (python, expected)) in zip(ourRows, rows).enumerated() where python != canonical(row: expected) {
            Issue.record("row \(index): pyarrow read \(python), wrote \(canonical(row: expected))")
            break
        }
        // pyarrow's files (V1 and V2 pages, dictionaries, small row groups), every column but the map, columnar.
        let files = try #require(result["files"] as? [String: [String]])
        for name in files.keys.sorted() {
            let path = directory.path(name)
            let reader = try ParquetReader(path: path)
            let columns = reader.nodes.map(\.name).filter { $0 != "m" }
            let nodes = reader.nodes.filter { $0.name != "m" }
            for group in 0..<reader.rowGroupCount {
                let columnar = try reader.readRowGroup(group, columns: columns)
                let values = zip(columnar, nodes).map { ColumnarNested.values($0, node: $1) }
                let reference = try reader.readRows(rowGroup: group, columns: columns)
                for row in reference.indices where values.map({ $0[row] }) != reference[row] {
                    Issue.record("\(name) group \(group) row \(row): \(canonical(row: values.map { $0[row] }))")
                    break
                }
            }
        }
    }

    @Test func pyarrowSeesOurNestedStatistics() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("stats.parquet")
        let rows = ListSample.rows(2000, seed: 4)
        let writer = try ParquetWriter(path: path, nodes: ListSample.nodes)
        try writer.write(ListSample.batches(rows))
        try writer.close()
        let described = try #require(
            try runPython(PythonScripts.leafStatistics, [path]) as? [String: [String: Any]])
        let cells = rows.flatMap { row -> [Int64] in
            guard case .list(let items) = row[4] else { return [] }
            return items.flatMap { item -> [Int64] in
                guard case .list(let cells) = item else { return [] }
                return cells.compactMap { if case .int64(let v) = $0 { v } else { nil } }
            }
        }
        let matrix = try #require(described["matrix.list.element.list.element"])
        #expect(matrix["min"] as? Int == cells.min().map { Int($0) })
        #expect(matrix["max"] as? Int == cells.max().map { Int($0) })
        let ints = try #require(described["ints.list.element"])
        let values = rows.flatMap { row -> [Int32] in
            guard case .list(let items) = row[1] else { return [] }
            return items.compactMap { if case .int32(let v) = $0 { v } else { nil } }
        }
        #expect(ints["min"] as? Int == values.min().map { Int($0) })
        #expect(ints["max"] as? Int == values.max().map { Int($0) })
        // One entry per element, and one per NULL or empty list.
        let entries = rows.reduce(0) { total, row in
            if case .list(let items) = row[1] { return total + max(items.count, 1) }
            return total + 1
        }
        #expect(ints["num_values"] as? Int == entries)
    }
}
