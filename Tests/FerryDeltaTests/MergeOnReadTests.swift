import DeltaLake
import FerryCore
import FerryDelta
import FerryTestKit
import Foundation
import Testing

/// Change sets applied merge-on-read: replaced and deleted rows are marked in deletion vectors, files are never
/// rewritten by a batch, and delta-rs (which applies the vectors) reads exactly the table's rows.
@Suite struct MergeOnReadTests {
    let schema = ChangeFixtures.schema
    let toasted = ChangeFixtures.toasted

    func writer(
        _ dir: TempDirectory, options: DeltaWriteOptions = DeltaWriteOptions()
    ) throws
        -> any TableWriter & ChangeWriter
    {
        try DeltaDestination(root: dir.path, options: options).openWriter(TableName(name: "t"))
            as! any TableWriter & ChangeWriter
    }

    func row(_ id: Int64, _ name: String?, big: String? = "b") -> [ScalarValue?] {
        [.int(id), name.map { .text($0) }, big.map { .text($0) }, .decimal(1050, scale: 2)]
    }

    /// Loads ids `0..<count` as `files` data files through a regular (non-CDC) write, `big` holding `toasted`.
    func load(_ dir: TempDirectory, count: Int, files: Int) throws {
        let w = try DeltaDestination(root: dir.path, options: DeltaWriteOptions(targetFileBytes: 1))
            .openWriter(TableName(name: "t"))
        defer { w.close() }
        try w.begin(schema: schema, mode: .append)
        let per = count / files
        for f in 0..<files {
            let rows = (f * per..<(f + 1) * per).map { row(Int64($0), "n\($0)", big: toasted) }
            try ChangeSet.batches(rows, indexes: [0, 1, 2, 3], of: schema, batchSize: rows.count, table: "t") {
                (b: RecordBatch) throws(FerryError) in try w.write(b)
            }
        }
        _ = try w.commit()
    }

    /// `id|name|big is toasted|amount` of every row, through delta-rs.
    func rows(_ dir: TempDirectory) throws -> [String] {
        let out = try Python.json(
            Python.readDelta + """
                import sys, json
                t = read_delta(sys.argv[1]).to_pylist()
                big = sys.argv[2]
                print(json.dumps(sorted(["%d|%s|%s|%s" % (r["id"], r["name"], "T" if r["big"] == big else r["big"],
                                          r["amount"]) for r in t], key=lambda s: int(s.split("|")[0]))))
                """, [dir.file("t"), toasted])
        return out as? [String] ?? []
    }

    func expected(_ ids: [Int64], changed: [Int64: String] = [:]) -> [String] {
        ids.sorted().map { id in changed[id] ?? "\(id)|n\(id)|T|10.50" }
    }

    func snapshot(_ dir: TempDirectory) throws -> Snapshot {
        try DeltaTable(store: LocalLogStore(root: dir.file("t")), engineInfo: "test").snapshot()
    }

    func parquetFiles(_ dir: TempDirectory) -> Set<String> {
        let all = FileManager.default.enumerator(atPath: dir.file("t"))?.allObjects as? [String] ?? []
        return Set(all.filter { $0.hasSuffix(".parquet") && !$0.hasPrefix("_delta_log") })
    }

    @Test func updatesAndDeletesMarkRowsWithoutRewritingAFile() throws {
        let dir = TempDirectory("delta-mor")
        try load(dir, count: 400, files: 4)
        let loaded = parquetFiles(dir)
        let w = try writer(dir)
        defer { w.close() }

        // Key 150 changes its name and leaves `big` unsent (TOASTed): the new row takes the old row's value.
        var set = ChangeSet()
        set.upserts[[2]] = [row(150, "renamed", big: nil)]
        set.upserts[[]] = [row(500, "new"), row(250, "replaced", big: "small")]
        set.deletes = [[.int(151)], [.int(399)]]
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 10), pipeline: "p"))
        var ids = Array(Int64(0)..<400).filter { $0 != 151 && $0 != 399 } + [500]
        var changed: [Int64: String] = [
            150: "150|renamed|T|10.50", 250: "250|replaced|small|10.50", 500: "500|new|b|10.50",
        ]
        #expect(try rows(dir) == expected(ids, changed: changed))
        // Only the batch's own file is new; three old files carry vectors; the table has the feature.
        #expect(parquetFiles(dir).subtracting(loaded).count == 1)
        var s = try snapshot(dir)
        #expect(s.files.values.filter { $0.deletionVector != nil }.count == 3)
        #expect(s.protocolAction.readerFeatures?.contains("deletionVectors") == true)
        #expect(s.metadata.configuration["delta.enableDeletionVectors"] == "true")
        #expect(s.numRecords == Int64(ids.count))

        // Key 150 again: its live row is now in the batch file (the old one is already deleted), and its TOASTed
        // value must come from there; 500 is deleted from the batch file.
        set = ChangeSet()
        set.upserts[[2]] = [row(150, "again", big: nil)]
        set.deletes = [[.int(500)], [.int(151)]]  // 151 is already gone: nothing to mark
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 20), pipeline: "p"))
        ids.removeAll { $0 == 500 }
        changed[150] = "150|again|T|10.50"
        #expect(try rows(dir) == expected(ids, changed: changed))
        s = try snapshot(dir)
        #expect(s.numRecords == Int64(ids.count))
        // 150, 151, 250 and 399 in the loaded files; the first batch's file lost 2 of its 3 rows (150 and 500) and
        // was rewritten without them.
        let cardinalities = s.files.values.compactMap { $0.deletionVector?.cardinality }.reduce(0, +)
        #expect(cardinalities == 4)
        #expect(try commitInfos(dir).last?["operation"] as? String == "OPTIMIZE")
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 20))
    }

    @Test func aWriterWithoutDeletionVectorsRewritesFilesWithoutTheirDeletedRows() throws {
        let dir = TempDirectory("delta-mor")
        try load(dir, count: 200, files: 2)
        var set = ChangeSet()
        set.deletes = [[.int(10)], [.int(20)]]
        set.upserts[[]] = [row(30, "x")]
        let mor = try writer(dir)
        #expect(try mor.apply(set, schema: schema, position: LSN(rawValue: 10), pipeline: "p"))
        mor.close()

        // Copy-on-write over files that have vectors: the rewrite keeps neither the deleted rows nor the vector.
        let cow = try writer(dir, options: DeltaWriteOptions(deletionVectors: false))
        defer { cow.close() }
        set = ChangeSet()
        set.upserts[[2]] = [row(11, "cow", big: nil)]
        #expect(try cow.apply(set, schema: schema, position: LSN(rawValue: 20), pipeline: "p"))
        let ids = Array(Int64(0)..<200).filter { $0 != 10 && $0 != 20 }
        #expect(try rows(dir) == expected(ids, changed: [30: "30|x|b|10.50", 11: "11|cow|T|10.50"]))
        let s = try snapshot(dir)
        #expect(s.numRecords == Int64(ids.count))
        // The first file (0..<100) was rewritten whole: its replacement has no vector.
        #expect(s.files.values.filter { $0.deletionVector != nil }.isEmpty)
    }

    @Test func smallFilesAreCombinedAndMostlyDeletedFilesRewritten() throws {
        let dir = TempDirectory("delta-mor")
        try load(dir, count: 100, files: 1)
        let w = try writer(dir)
        defer { w.close() }
        var ids = Array(Int64(0)..<100)
        // Nine batches of inserts make, with the loaded file, ten small files: the ninth compacts them into one.
        for n in 0..<9 {
            var set = ChangeSet()
            set.upserts[[]] = (0..<5).map { row(Int64(1000 + n * 5 + $0), "n\(1000 + n * 5 + $0)", big: toasted) }
            ids += (0..<5).map { Int64(1000 + n * 5 + $0) }
            #expect(try w.apply(set, schema: schema, position: LSN(rawValue: UInt64(10 + n)), pipeline: "p"))
        }
        var s = try snapshot(dir)
        #expect(s.files.count == 1)
        #expect(try rows(dir) == expected(ids))
        let optimize = try commitInfos(dir).last
        #expect(optimize?["operation"] as? String == "OPTIMIZE")

        // Deleting 80 of the 145 rows of that file leaves a vector over half of it: the file is rewritten.
        var set = ChangeSet()
        set.deletes = (0..<80).map { [.int(Int64($0))] }
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 100), pipeline: "p"))
        ids.removeAll { $0 < 80 }
        s = try snapshot(dir)
        #expect(s.files.values.allSatisfy { $0.deletionVector == nil })
        #expect(s.numRecords == Int64(ids.count))
        #expect(try rows(dir) == expected(ids))
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 100))
    }

    @Test func checkpointsAndVacuumKeepDeletionVectors() throws {
        let dir = TempDirectory("delta-mor")
        try load(dir, count: 1000, files: 1)
        let w = try writer(dir)
        defer { w.close() }
        for n in 0..<12 {
            var set = ChangeSet()
            set.deletes = [[.int(Int64(n))]]
            #expect(try w.apply(set, schema: schema, position: LSN(rawValue: UInt64(10 + n)), pipeline: "p"))
        }
        let store = LocalLogStore(root: dir.file("t"))
        let fromCheckpoint = try Snapshot.load(store: store)
        let fromJSON = try Snapshot.load(store: store, checkpoints: nil)
        #expect(fromCheckpoint.checkpointVersion == 10)
        #expect(fromCheckpoint.files == fromJSON.files)
        #expect(fromCheckpoint.tombstones == fromJSON.tombstones)
        #expect(fromJSON.files.values.first?.deletionVector?.cardinality == 12)
        #expect(try rows(dir) == expected(Array(Int64(12)..<1000)))

        // Vacuum with no retention deletes the vector files of earlier versions, never the live one.
        let table = DeltaTable(store: store, engineInfo: "test")
        let planned = try Vacuum(table: table, retention: 0).plan(now: Date().addingTimeInterval(3600))
        let live = try #require(fromJSON.files.values.first?.deletionVector?.relativeFilePath)
        #expect(planned.filter { $0.hasPrefix("deletion_vector_") }.count == 11)
        #expect(!planned.contains(live))
        try Vacuum(table: table, retention: 0).run(now: Date().addingTimeInterval(3600))
        #expect(try rows(dir) == expected(Array(Int64(12)..<1000)))
    }

    func commitInfos(_ dir: TempDirectory) throws -> [[String: Any]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("t/_delta_log"))
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.compactMap { name in
            let text = try String(contentsOfFile: dir.file("t/_delta_log/\(name)"), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                if let info = object?["commitInfo"] as? [String: Any] { return info }
            }
            return nil
        }
    }
}
