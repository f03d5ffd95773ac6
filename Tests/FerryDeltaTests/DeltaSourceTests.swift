import FerryCore
import FerryDelta
import FerryTestKit
import Foundation
import Testing

/// A lake read back as a source: the rows delta-rs would read (deletion vectors applied), the schema Ferry wrote,
/// incremental filters and limits, and a clear error for a table that is not there.
@Suite struct DeltaSourceTests {
    let schema = ChangeFixtures.schema

    func row(_ id: Int64, _ name: String?) -> [ScalarValue?] {
        [.int(id), name.map { .text($0) }, .text("b"), .decimal(1050, scale: 2)]
    }

    /// Ids `0..<count` in `files` data files, then a merge-on-read batch: 5 and 77 deleted, 10 renamed.
    func lake(_ dir: TempDirectory, count: Int, files: Int) throws {
        let w = try DeltaDestination(root: dir.path, options: DeltaWriteOptions(targetFileBytes: 1))
            .openWriter(TableName(name: "t"))
        try w.begin(schema: schema, mode: .append)
        let per = count / files
        for f in 0..<files {
            let rows = (f * per..<(f + 1) * per).map { row(Int64($0), "n\($0)") }
            try ChangeSet.batches(rows, indexes: [0, 1, 2, 3], of: schema, batchSize: rows.count, table: "t") {
                (b: RecordBatch) throws(FerryError) in try w.write(b)
            }
        }
        _ = try w.commit()
        w.close()
        let changes = try DeltaDestination(root: dir.path).openWriter(TableName(name: "t"))
        defer { changes.close() }
        var set = ChangeSet()
        set.upserts[[]] = [row(10, "renamed")]
        set.deletes = [[.int(5)], [.int(77)]]
        guard let writer = changes as? any ChangeWriter else {
            Issue.record("a Delta writer applies change sets")
            return
        }
        #expect(try writer.apply(set, schema: schema, position: LSN(rawValue: 1), pipeline: "p"))
    }

    func readAll(_ reader: any TableReader, filter: RowFilter? = nil, limit: Int? = nil) throws -> [String] {
        var out: [String] = []
        _ = try reader.read(filter: filter, limit: limit, batchSize: 7) { (b: RecordBatch) throws(FerryError) in
            #expect(b.rowCount <= 7)
            for r in 0..<b.rowCount {
                let id = ScalarValue(vector: b.vectors[0], row: r, type: .int64)
                let name = ScalarValue(vector: b.vectors[1], row: r, type: .text)
                out.append("\(id.map { "\($0)" } ?? "NULL")|\(name.map { "\($0)" } ?? "NULL")")
            }
        }
        return out
    }

    @Test func readsTheLiveRowsWithTheSchemaFerryWrote() throws {
        let dir = TempDirectory("delta-source")
        try lake(dir, count: 120, files: 3)
        let reader = try DeltaSource(root: dir.path).openReader(TableName(parsing: "public.t"))
        defer { reader.close() }
        #expect(reader.schema.columns.map(\.name) == schema.columns.map(\.name))
        #expect(reader.schema.columns.map(\.type) == schema.columns.map(\.type))
        #expect(reader.schema.primaryKey == schema.primaryKey)
        #expect(try reader.count(filter: nil) == 118)
        let rows = try readAll(reader)
        #expect(rows.count == 118)
        #expect(!rows.contains("5|n5") && !rows.contains("77|n77") && !rows.contains("10|n10"))
        #expect(rows.contains("10|renamed") && rows.contains("119|n119"))
    }

    @Test func filtersAndLimitsApplyToTheLiveRows() throws {
        let dir = TempDirectory("delta-source-filter")
        try lake(dir, count: 120, files: 3)
        let reader = try DeltaSource(root: dir.path).openReader(TableName(name: "t"))
        defer { reader.close() }
        let after = RowFilter(column: "id", comparison: .greaterThan, value: .int(70))
        #expect(try reader.count(filter: after) == 48)  // 71...119 without 77
        let rows = try readAll(reader, filter: after)
        #expect(rows.count == 48 && !rows.contains("77|n77") && !rows.contains("70|n70"))
        let from = RowFilter(column: "id", comparison: .greaterThanOrEqual, value: .int(70))
        #expect(try reader.count(filter: from) == 49)
        #expect(try readAll(reader, limit: 10).count == 10)
        #expect(try readAll(reader, filter: after, limit: 0).isEmpty)
        #expect(throws: FerryError.self) {
            try reader.count(filter: RowFilter(column: "nope", comparison: .greaterThan, value: .int(1)))
        }
    }

    @Test func aMissingTableIsAClearError() throws {
        let dir = TempDirectory("delta-source-missing")
        do {
            _ = try DeltaSource(root: dir.path).openReader(TableName(name: "absent"))
            Issue.record("opened a table that does not exist")
        } catch {
            #expect(error.code == .schema)
            #expect(error.message.contains("there is no Delta table at \(dir.path)/absent"))
        }
    }
}
