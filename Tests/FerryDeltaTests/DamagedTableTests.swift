import FerryCore
import FerryDelta
import FerryTestKit
import Foundation
import Testing

/// A Delta table damaged outside Ferry, as a Ferry run meets it.
@Suite struct DamagedTableTests {
    static let schema = WriteFailureTests.schema

    func append(_ dir: TempDirectory, _ ids: Range<Int>) throws -> any TableWriter {
        let w = try DeltaDestination(root: dir.path, options: DeltaWriteOptions(transactionVersion: RunClock.next()))
            .openWriter(TableName(schema: "public", name: "t"))
        try w.begin(schema: Self.schema, mode: .append)
        try w.write(WriteFailureTests.batch(ids, name: "r"))
        _ = try w.commit()
        return w
    }

    @Test func aTruncatedCommitFailsTheRunNamingTheTableTheFileAndTheLine() throws {
        let dir = TempDirectory("delta-damaged")
        try append(dir, 0..<10).close()
        try append(dir, 10..<20).close()
        let commit = dir.file("t/_delta_log/00000000000000000001.json")
        let data = try Data(contentsOf: URL(fileURLWithPath: commit))
        try data.prefix(data.count - 40).write(to: URL(fileURLWithPath: commit))
        let w = try DeltaDestination(root: dir.path).openWriter(TableName(schema: "public", name: "t"))
        defer { w.close() }
        do throws(FerryError) {
            _ = try w.existingSchema()
            Issue.record("a truncated commit was read")
        } catch {
            #expect(error.table == "public.t")
            #expect(error.message.contains(dir.file("t")), "the Delta table's path is kept: \(error)")
            #expect(error.message.contains("_delta_log/00000000000000000001.json"), "\(error)")
            #expect(error.message.contains("truncated") && !error.message.contains("DecodingError"), "\(error)")
        }
    }

    @Test func aRunAfterAGarbageCheckpointLeavesATableDeltaRsOpens() throws {
        let dir = TempDirectory("delta-damaged")
        for run in 0..<11 { try append(dir, (run * 10)..<(run * 10 + 10)).close() }
        let checkpoint = dir.file("t/_delta_log/00000000000000000010.checkpoint.parquet")
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: checkpoint))

        let w = try append(dir, 110..<120)
        defer { w.close() }
        #expect(try w.rowCount() == 120)
        let out = try Python.json(
            """
            import sys, json
            from deltalake import DeltaTable
            dt = DeltaTable(sys.argv[1])
            print(json.dumps({"version": dt.version(), "rows": dt.to_pyarrow_dataset().count_rows()}))
            """, [dir.file("t")])
        let read = try #require(out as? [String: Int])
        #expect(read == ["version": 11, "rows": 120])
        #expect(
            FileManager.default.fileExists(atPath: dir.file("t/_delta_log/00000000000000000011.checkpoint.parquet")))
    }
}
