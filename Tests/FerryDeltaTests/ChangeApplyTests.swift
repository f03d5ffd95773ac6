import DeltaLake
import FerryCore
import FerryDelta
import FerryTestKit
import Foundation
import Testing

/// Change sets applied to Delta tables: one commit each with the position as its txn, read back through delta-rs.
@Suite struct DeltaChangeApplyTests {
    let schema = ChangeFixtures.schema
    static let toasted = ChangeFixtures.toasted

    func writer(
        _ dir: TempDirectory, options: DeltaWriteOptions = DeltaWriteOptions(), partitions: [String] = []
    ) throws -> any TableWriter & ChangeWriter {
        try DeltaDestination(root: dir.path, options: options, partitions: ["t": partitions])
            .openWriter(TableName(name: "t")) as! any TableWriter & ChangeWriter
    }

    func change(
        _ kind: RowChange.Kind, _ id: Int64, _ name: String?, big: String? = "b", unchanged: Set<Int> = [],
        oldId: Int64? = nil
    ) -> RowChange {
        let row: [ScalarValue?]? =
            kind == .delete ? nil : [.int(id), name.map { .text($0) }, big.map { .text($0) }, .decimal(1050, scale: 2)]
        return RowChange(kind: kind, row: row, unchanged: unchanged, oldKey: [.int(oldId ?? id)])
    }

    func fold(_ changes: [RowChange], truncated: Bool = false) -> ChangeSet {
        var set = ChangeSet.fold(changes, keyIndexes: [0])
        set.truncated = truncated
        return set
    }

    /// Version, rows (canonical text, by id) and the pipeline's txn, as delta-rs reads them.
    func read(_ dir: TempDirectory, pipeline: String = "p") throws -> (version: Int, rows: [[String]], txn: Int?) {
        let out = try Python.json(DeltaDestinationTests.reader, [dir.file("t")]) as? [String: Any] ?? [:]
        let txn = try Python.run(
            """
            import sys
            from deltalake import DeltaTable
            print(DeltaTable(sys.argv[1]).transaction_version(sys.argv[2]))
            """, [dir.file("t"), "ferry-cdc:\(pipeline)"]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        return (out["version"] as? Int ?? -1, out["rows"] as? [[String]] ?? [], Int(txn))
    }

    /// The actions of commit `version`, by kind.
    func log(_ dir: TempDirectory, _ version: Int) throws -> [String: [[String: Any]]] {
        let name = String(format: "%020ld.json", version)
        let text = try String(contentsOfFile: dir.file("t/_delta_log/\(name)"), encoding: .utf8)
        var out: [String: [[String: Any]]] = [:]
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            for (kind, value) in object { out[kind, default: []].append(value as? [String: Any] ?? [:]) }
        }
        return out
    }

    func dataFiles(_ dir: TempDirectory) -> Int {
        let all = FileManager.default.enumerator(atPath: dir.file("t"))?.allObjects as? [String] ?? []
        return all.filter { $0.hasSuffix(".parquet") && !$0.hasPrefix("_delta_log") }.count
    }

    @Test func insertsUpdatesDeletesCommitWithTheirPositionAndReplaysCommitNothing() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir)
        defer { w.close() }
        #expect(try w.appliedPosition(pipeline: "p") == nil)
        let inserts = fold([
            change(.insert, 1, "a", big: Self.toasted), change(.insert, 2, "b"), change(.insert, 3, "c"),
        ])
        #expect(try w.apply(inserts, schema: schema, position: LSN(rawValue: 100), pipeline: "p"))
        var out = try read(dir)
        #expect(out.version == 0)
        #expect(out.txn == 100)
        #expect(out.rows == [["1", "a", Self.toasted, "10.50"], ["2", "b", "b", "10.50"], ["3", "c", "b", "10.50"]])

        let updates = fold([
            change(.update, 1, "a2", big: nil, unchanged: [2]),  // TOASTed and unchanged: keeps the stored value
            change(.delete, 2, nil),
            change(.update, 30, "moved", oldId: 3),  // a key change: the old key goes, the new one arrives
            change(.insert, 4, "new", big: nil, unchanged: [2]),  // unchanged but not in the table: NULL
        ])
        #expect(try w.apply(updates, schema: schema, position: LSN(rawValue: 200), pipeline: "p"))
        let after = [
            ["1", "a2", Self.toasted, "10.50"], ["4", "new", "None", "10.50"], ["30", "moved", "b", "10.50"],
        ]
        out = try read(dir)
        // Version 1 is the merge; version 2 compacts the one file, which lost two of its three rows.
        #expect(out.version == 2)
        #expect(out.txn == 200)
        #expect(out.rows == after)
        let commit = try log(dir, 1)
        let info = commit["commitInfo"]?.first
        #expect(info?["operation"] as? String == "MERGE")
        #expect((info?["operationParameters"] as? [String: Any])?["position"] as? String == "0/C8")
        #expect(commit["txn"]?.first?["appId"] as? String == "ferry-cdc:p")
        #expect(commit["metaData"] == nil)
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 200))
        #expect(try w.appliedPosition(pipeline: "other") == nil)

        // Replaying the same or an older position commits nothing and leaves no file behind.
        let files = dataFiles(dir)
        let replay = fold([change(.insert, 9, "replayed")], truncated: true)
        #expect(try w.apply(replay, schema: schema, position: LSN(rawValue: 200), pipeline: "p") == false)
        #expect(try w.apply(replay, schema: schema, position: LSN(rawValue: 150), pipeline: "p") == false)
        out = try read(dir)
        #expect(out.version == 2)
        #expect(out.rows == after)
        #expect(dataFiles(dir) == files)
    }

    @Test func aTruncateRemovesEveryFileBeforeTheInsertsAfterIt() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir, options: DeltaWriteOptions(targetFileBytes: 1))
        defer { w.close() }
        try w.apply(
            fold([change(.insert, 1, "a"), change(.insert, 2, "b")]), schema: schema, position: LSN(rawValue: 10),
            pipeline: "p")
        try w.apply(fold([change(.insert, 3, "c")]), schema: schema, position: LSN(rawValue: 15), pipeline: "p")
        // Key 1 arrives again after the truncate, with a TOASTed value it can no longer take from the table.
        let set = fold(
            [change(.insert, 7, "after"), change(.update, 1, "again", big: nil, unchanged: [2])], truncated: true)
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 20), pipeline: "p"))
        #expect(try read(dir).rows == [["1", "again", "None", "10.50"], ["7", "after", "b", "10.50"]])
        #expect(try log(dir, 2)["remove"]?.count == 2)
        #expect(try w.apply(fold([], truncated: true), schema: schema, position: LSN(rawValue: 30), pipeline: "p"))
        let out = try read(dir)
        #expect(out.rows.isEmpty)
        #expect(out.txn == 30)
    }

    @Test func thePositionSurvivesCheckpoints() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir)
        defer { w.close() }
        for n in 1...12 {
            let set = fold([change(.insert, Int64(n), "row \(n)")])
            #expect(try w.apply(set, schema: schema, position: LSN(rawValue: UInt64(n) << 32), pipeline: "p"))
        }
        #expect(
            FileManager.default.fileExists(atPath: dir.file("t/_delta_log/00000000000000000010.checkpoint.parquet")))
        // A fresh writer reads the position from the checkpoint and the commits after it.
        let again = try writer(dir)
        defer { again.close() }
        #expect(try again.appliedPosition(pipeline: "p") == LSN("C/0"))
        #expect(
            try again.apply(
                fold([change(.delete, 1, nil)]), schema: schema, position: LSN("5/0") ?? .zero, pipeline: "p") == false)
        let out = try read(dir)
        #expect(out.version == 12)  // twelve merges and, after the tenth small file, a compaction
        #expect(out.txn == 12 << 32)
        #expect(out.rows.count == 12)
    }

    @Test func aCompactionThatFailsAfterABatchCommittedLeavesTheBatchAndItsFilesInPlace() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir)
        defer { w.close() }
        // Nine batches of new keys: nine small files, one short of a compaction.
        for n in 1...9 {
            let set = fold([change(.insert, Int64(n), "row \(n)")])
            #expect(try w.apply(set, schema: schema, position: LSN(rawValue: UInt64(n) << 32), pipeline: "p"))
        }
        // Damage the first batch's file: later batches have indexed its keys, so the tenth batch does not read it
        // (the ninth batch's file would be read to index it), but the compaction after the tenth batch must.
        let first = try DeltaTable(store: LocalLogStore(root: dir.file("t")), engineInfo: "test").snapshot(version: 0)
        let damaged = try #require(first.files.values.first?.path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("t/" + damaged)))
        try handle.truncate(atOffset: 8)
        try handle.close()
        // The tenth batch (a new key: nothing to read from the damaged file) commits; its compaction fails.
        #expect(
            try w.apply(
                fold([change(.insert, 10, "row 10")]), schema: schema, position: LSN("A/0") ?? .zero, pipeline: "p"))
        let snapshot = try DeltaTable(store: LocalLogStore(root: dir.file("t")), engineInfo: "test").snapshot()
        #expect(snapshot.version == 9, "ten merges, no compaction")
        #expect(snapshot.transactionVersion(appId: "ferry-cdc:p") == Int64(10 << 32))
        for file in snapshot.files.values {
            #expect(FileManager.default.fileExists(atPath: dir.file("t/" + file.path)), "\(file.path) is referenced")
        }
        #expect(try w.appliedPosition(pipeline: "p") == LSN("A/0"))
    }

    @Test func newColumnsEvolveTheSchemaAndOldRowsReadNull() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir)
        defer { w.close() }
        try w.apply(
            fold([change(.insert, 1, "a"), change(.insert, 2, "b")]), schema: schema, position: LSN(rawValue: 10),
            pipeline: "p")
        var wider = schema
        wider.columns.append(Column(name: "added", type: .date, nullable: false))
        var set = ChangeSet()
        set.upserts[[]] = [[.int(3), .text("c"), .text("b"), .decimal(300, scale: 2), .date(19_000)]]
        // Row 2 keeps its unsent name from the file it is rewritten out of.
        set.upserts[[1]] = [[.int(2), nil, .text("b2"), .decimal(200, scale: 2), .date(19_001)]]
        #expect(try w.apply(set, schema: wider, position: LSN(rawValue: 20), pipeline: "p"))
        let out = try read(dir)
        #expect(
            out.rows == [
                ["1", "a", "b", "10.50", "None"], ["2", "b", "b2", "2.00", "19001"], ["3", "c", "b", "3.00", "19000"],
            ])
        #expect(try log(dir, 1)["metaData"]?.count == 1)
        // Columns the table has but a later schema lacks stay, and upserted rows have no value for them.
        #expect(
            try w.apply(fold([change(.update, 3, "c2")]), schema: schema, position: LSN(rawValue: 30), pipeline: "p"))
        // Row 2 shared a file with row 3: rewritten, it keeps its value of the column the schema now lacks.
        #expect(
            try read(dir).rows == [
                ["1", "a", "b", "10.50", "None"], ["2", "b", "b2", "2.00", "19001"], ["3", "c2", "b", "10.50", "None"],
            ])
        #expect(try w.existingSchema()?.columns.map(\.name) == ["id", "name", "big", "amount", "added"])
    }

    @Test func anIncrementalMergeKeepsColumnsTheSourceNoLongerHas() throws {
        let dir = TempDirectory("delta-cdc")
        var wider = schema
        wider.columns.append(Column(name: "legacy", type: .int32))
        for (shape, mode, rows) in [
            (
                wider, WriteMode.append,
                [[ScalarValue?]]([
                    [.int(1), .text("a"), nil, nil, .int(11)], [.int(2), .text("b"), nil, nil, .int(22)],
                ])
            ),
            (schema, .upsert(key: ["id"]), [[.int(1), .text("a2"), nil, nil]]),
        ] {
            let w = try DeltaDestination(root: dir.path).openWriter(TableName(name: "t"))
            try w.begin(schema: shape, mode: mode)
            try w.write(try #require(RecordBatch(rows: rows, columns: shape.columns)))
            _ = try w.commit()
            w.close()
        }
        #expect(try read(dir).rows == [["1", "a2", "None", "None", "None"], ["2", "b", "None", "None", "22"]])
    }

    @Test func anIncompatibleTypeChangeFailsAndCommitsNothing() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir)
        defer { w.close() }
        try w.apply(fold([change(.insert, 1, "a")]), schema: schema, position: LSN(rawValue: 10), pipeline: "p")
        var changed = schema
        changed.columns[3].type = .decimal(precision: 12, scale: 2)  // Delta cannot widen a decimal in place
        changed.columns.append(Column(name: "added", type: .date))
        let files = dataFiles(dir)
        let error = #expect(throws: FerryError.self) {
            try w.apply(
                fold([change(.insert, 2, "b")]), schema: changed, position: LSN(rawValue: 20), pipeline: "p")
        }
        #expect(error?.code == .schema)
        #expect(error?.message.contains("column amount") == true)
        #expect(error?.description.contains("table t") == true)
        let out = try read(dir)
        #expect(out.version == 0)
        #expect(out.rows == [["1", "a", "b", "10.50"]])
        #expect(dataFiles(dir) == files)
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 10))
    }

    @Test func aFailedApplyLeavesTheTableAndNoFilesBehind() throws {
        let dir = TempDirectory("delta-cdc")
        let w = try writer(dir)
        defer { w.close() }
        try w.apply(
            fold([change(.insert, 1, "a"), change(.insert, 2, "b")]), schema: schema, position: LSN(rawValue: 10),
            pipeline: "p")
        let files = dataFiles(dir)
        // Row 1 is rewritten out of its file before the bad value of row 3 is met.
        var bad = fold([change(.update, 1, "a2"), change(.insert, 3, "c")])
        bad.upserts[[]]?[1][3] = .decimal(123_456_789_012_345, scale: 2)
        let error = #expect(throws: FerryError.self) {
            try w.apply(bad, schema: schema, position: LSN(rawValue: 20), pipeline: "p")
        }
        #expect(error?.message.contains("amount") == true)
        #expect(try read(dir).version == 0)
        #expect(dataFiles(dir) == files)
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 10))
    }

    /// Row `r` of `batch` as change-set values.
    static func values(_ batch: RecordBatch, _ r: Int) -> [ScalarValue?] {
        batch.columns.indices.map { ScalarValue(vector: batch.vectors[$0], row: r, type: batch.columns[$0].type) }
    }

    /// Copy-on-write rewrites the files holding touched keys; merge-on-read marks their rows in deletion vectors.
    @Test(arguments: [false, true])
    func everyTypeOnAMultiFileTableChangesOnlyTheFilesHoldingTouchedKeys(deletionVectors: Bool) throws {
        let dir = TempDirectory("delta-cdc")
        let columns = DeltaDestinationTests.columns
        let all = TableSchema(columns: columns, primaryKey: ["id"])
        // Ten files of 100 rows each (ids 0..<1000), written by a regular run.
        let batches = (0..<10).map { DeltaDestinationTests.batch(($0 * 100)..<($0 * 100 + 100)) }
        let load = try DeltaDestination(root: dir.path, options: DeltaWriteOptions(targetFileBytes: 1))
            .openWriter(TableName(name: "t"))
        try load.begin(schema: all, mode: .append)
        for b in batches { try load.write(b) }
        _ = try load.commit()
        load.close()
        let before = try log(dir, 0)["add"]?.compactMap { $0["path"] as? String } ?? []
        #expect(before.count == 10)

        let name = 11
        var renamed = [ScalarValue?](repeating: nil, count: columns.count)  // unsent columns stay NULL here
        renamed[0] = .int(250)
        renamed[name] = .text("cdc 250")
        var moved = Self.values(batches[7], 30)
        moved[0] = .int(2730)
        var set = ChangeSet()
        set.upserts[Set(columns.indices).subtracting([0, name])] = [renamed]
        set.upserts[[]] = [Self.values(DeltaDestinationTests.batch(1500..<1501), 0), moved]
        set.deletes = [[.int(255)], [.int(730)]]
        let w = try writer(dir, options: DeltaWriteOptions(deletionVectors: deletionVectors))
        defer { w.close() }
        #expect(try w.apply(set, schema: all, position: LSN(rawValue: 42), pipeline: "p"))

        // Keys 250 and 255 live in the file of 200..<300, key 730 in that of 700..<800; 1500 and 2730 are new.
        let commit = try log(dir, 1)
        let removed = Set(commit["remove"]?.compactMap { $0["path"] as? String } ?? [])
        #expect(removed == [before[2], before[7]])
        let vectors = (commit["add"] ?? []).filter { $0["deletionVector"] != nil }
        if deletionVectors {
            // The two files come back with vectors of 2 rows (250, 255) and 1 row (730).
            #expect(Set(vectors.compactMap { $0["path"] as? String }) == [before[2], before[7]])
            let cardinalities = vectors.compactMap { ($0["deletionVector"] as? [String: Any])?["cardinality"] as? Int }
            #expect(cardinalities.sorted() == [1, 2])
        } else {
            #expect(vectors.isEmpty)
        }
        var expected = batches.flatMap(DeltaDestinationTests.canonical).filter { $0[0] != "255" && $0[0] != "730" }
        if let i = expected.firstIndex(where: { $0[0] == "250" }) { expected[i][name] = "cdc 250" }
        var movedRow = DeltaDestinationTests.canonical(batches[7])[30]
        movedRow[0] = "2730"
        expected += DeltaDestinationTests.canonical(DeltaDestinationTests.batch(1500..<1501)) + [movedRow]
        let out = try read(dir)
        #expect(out.version == (deletionVectors ? 2 : 1))  // eleven small files: a compaction follows
        #expect(out.txn == 42)
        #expect(out.rows.count == expected.count)
        if let i = (0..<min(out.rows.count, expected.count)).first(where: { out.rows[$0] != expected[$0] }) {
            Issue.record("row \(i) differs:\n delta-rs: \(out.rows[i])\n expected: \(expected[i])")
        }
    }

    /// Keys that are not one integer column are found through digests of their values, across batches.
    @Test func aCompositeTextKeyFindsOnlyTheRowsOfItsKeys() throws {
        let dir = TempDirectory("delta-cdc")
        let columns = [
            Column(name: "tenant", type: .text, nullable: false), Column(name: "id", type: .int64, nullable: false),
            Column(name: "note", type: .text),
        ]
        let keyed = TableSchema(columns: columns, primaryKey: ["tenant", "id"])
        func row(_ i: Int, _ note: String) -> [ScalarValue?] { [.text("t\(i % 3)"), .int(Int64(i)), .text(note)] }
        // Four files of 50 rows (ids 0..<200).
        let load = try DeltaDestination(root: dir.path, options: DeltaWriteOptions(targetFileBytes: 1))
            .openWriter(TableName(name: "t"))
        try load.begin(schema: keyed, mode: .append)
        for f in 0..<4 {
            try load.write(
                try #require(RecordBatch(rows: (f * 50..<f * 50 + 50).map { row($0, "n\($0)") }, columns: columns)))
        }
        _ = try load.commit()
        load.close()
        let files = try log(dir, 0)["add"]?.compactMap { $0["path"] as? String } ?? []
        #expect(files.count == 4)

        let w = try writer(dir)
        defer { w.close() }
        var set = ChangeSet()
        // (t1, 10) in the first file and (t0, 120) in the third change; (t1, 11) does not exist ((t2, 11) does).
        set.upserts[[]] = [row(10, "changed"), row(120, "changed"), [.text("t1"), .int(11), .text("new")]]
        set.deletes = [[.text("t2"), .int(20)]]
        #expect(try w.apply(set, schema: keyed, position: LSN(rawValue: 1), pipeline: "p"))
        let removed = Set(try log(dir, 1)["remove"]?.compactMap { $0["path"] as? String } ?? [])
        #expect(removed == [files[0], files[2]])

        set = ChangeSet()
        set.upserts[[]] = [row(10, "again")]  // now in the file the first batch wrote
        set.deletes = [[.text("t1"), .int(11)], [.text("t0"), .int(0)]]
        #expect(try w.apply(set, schema: keyed, position: LSN(rawValue: 2), pipeline: "p"))

        var expected = (0..<200).filter { $0 != 20 && $0 != 0 }.map { i -> [String] in
            ["t\(i % 3)", "\(i)", i == 10 ? "again" : i == 120 ? "changed" : "n\(i)"]
        }
        expected.sort { $0.lexicographicallyPrecedes($1) }
        let out =
            try Python.json(
                Python.readDelta + """
                    import sys, json
                    rows = read_delta(sys.argv[1]).to_pylist()
                    print(json.dumps(sorted([[r["tenant"], str(r["id"]), r["note"]] for r in rows])))
                    """, [dir.file("t")]) as? [[String]]
        #expect(out == expected)
    }

    @Test func partitionedTablesTakeChangesAcrossPartitions() throws {
        let dir = TempDirectory("delta-cdc")
        let columns = [
            Column(name: "id", type: .int64, nullable: false), Column(name: "region", type: .text),
            Column(name: "note", type: .text),
        ]
        let keyed = TableSchema(columns: columns, primaryKey: ["id"])
        let w = try writer(dir, partitions: ["region"])
        defer { w.close() }
        var set = ChangeSet()
        set.upserts[[]] = (1...6).map { [.int(Int64($0)), .text($0 % 2 == 0 ? "eu" : "us"), .text("n\($0)")] }
        #expect(try w.apply(set, schema: keyed, position: LSN(rawValue: 1), pipeline: "p"))
        set = ChangeSet()
        set.upserts[[]] = [[.int(1), .text("eu"), .text("moved")]]  // leaves the us partition for eu
        set.upserts[[2]] = [[.int(2), .text("us"), nil]]  // moves too, keeping its unsent note
        set.deletes = [[.int(4)]]
        #expect(try w.apply(set, schema: keyed, position: LSN(rawValue: 2), pipeline: "p"))
        let out =
            try Python.json(
                Python.readDelta + """
                    import sys, json
                    from deltalake import DeltaTable
                    dt = DeltaTable(sys.argv[1])
                    rows = sorted(read_delta(sys.argv[1]).to_pylist(), key=lambda r: r["id"])
                    print(json.dumps({"parts": dt.metadata().partition_columns,
                                      "rows": [[r["id"], r["region"], r["note"]] for r in rows]}))
                    """, [dir.file("t")]) as? [String: Any]
        #expect(out?["parts"] as? [String] == ["region"])
        let rows = (out?["rows"] as? [[Any]] ?? []).map { $0.map { "\($0)" } }
        #expect(
            rows == [
                ["1", "eu", "moved"], ["2", "us", "n2"], ["3", "us", "n3"], ["5", "us", "n5"], ["6", "eu", "n6"],
            ])
    }
}
