import DeltaLake
import FerryTestKit
import Foundation
import Testing

@Suite struct DeltaLogInteropTests {
    func table(_ path: String) -> DeltaTable {
        DeltaTable(store: LocalLogStore(root: path), engineInfo: "ferry/test")
    }

    @Test func replaysATableThatDeltaRsWrote() throws {
        let dir = TempDirectory("delta")
        let info =
            try Python.json(
                """
                import sys, os, json, pyarrow as pa
                from deltalake import write_deltalake, DeltaTable, CommitProperties, Transaction
                p = sys.argv[1]
                t = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", None]})
                write_deltalake(p, t)
                write_deltalake(p, t, mode="append", commit_properties=CommitProperties(app_transactions=[Transaction("pipe-1", 7)]))
                write_deltalake(p, t.slice(0, 1), mode="overwrite")
                write_deltalake(p, t, mode="append")
                dt = DeltaTable(p)
                names = lambda d: sorted(os.path.basename(u) for u in d.file_uris())
                print(json.dumps({"version": dt.version(), "files": names(dt), "v1": names(DeltaTable(p, version=1))}))
                """, [dir.path]) as? [String: Any]
        let snapshot = try table(dir.path).snapshot()
        #expect(snapshot.version == Int64(info?["version"] as? Int ?? -1))
        #expect(snapshot.files.keys.sorted() == info?["files"] as? [String])
        #expect(snapshot.transactionVersion(appId: "pipe-1") == 7)
        #expect(try snapshot.schema.fields.map(\.name) == ["id", "name"])
        #expect(try snapshot.schema.fields.map(\.type) == [.long, .string])
        #expect(snapshot.numRecords == 4)
        #expect(!snapshot.tombstones.isEmpty)
        let v1 = try table(dir.path).snapshot(version: 1)
        #expect(v1.files.keys.sorted() == info?["v1"] as? [String])
    }

    @Test func deltaRsReadsATableWhoseLogFerryWrote() throws {
        let dir = TempDirectory("delta")
        let t = table(dir.path)
        let schema = StructType(fields: [
            StructField(name: "id", type: .long, nullable: false),
            StructField(name: "amount", type: .decimal(precision: 12, scale: 2)),
            StructField(name: "at", type: .timestampNtz),
        ])
        try t.create(schema: schema)
        // Data files written by pyarrow; the log, by DeltaLake.
        let sizes =
            try Python.json(
                """
                import sys, os, json, decimal, datetime, pyarrow as pa, pyarrow.parquet as pq
                out = []
                for i, name in enumerate(["part-0.parquet", "part-1.parquet"]):
                    t = pa.table({"id": pa.array([i * 10 + 1, i * 10 + 2], pa.int64()),
                                  "amount": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(12, 2)),
                                  "at": pa.array([datetime.datetime(2024, 1, 1, 12, 0, 0, 123456), None], pa.timestamp("us"))})
                    pq.write_table(t, os.path.join(sys.argv[1], name))
                    out.append(os.path.getsize(os.path.join(sys.argv[1], name)))
                print(json.dumps(out))
                """, [dir.path]) as? [Int]
        let adds = ["part-0.parquet", "part-1.parquet"].enumerated().map { i, name in
            Action.add(
                AddFile(
                    path: name, size: Int64(sizes?[i] ?? 0), modificationTime: 1_700_000_000_000,
                    stats: FileStats(
                        numRecords: 2, minValues: ["id": .int(Int64(i * 10 + 1))],
                        maxValues: ["id": .int(Int64(i * 10 + 2))],
                        nullCount: ["id": .int(0), "amount": .int(1), "at": .int(1)]
                    ).json))
        }
        let result = try t.commit(
            DeltaTable.Commit(
                actions: adds, operation: "WRITE", readVersion: 0,
                transaction: SetTransaction(appId: "ferry:t", version: 42)))
        #expect(result == .committed(version: 1))
        let read =
            try Python.json(
                """
                import sys, json
                from deltalake import DeltaTable
                dt = DeltaTable(sys.argv[1])
                rows = sorted(dt.to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
                print(json.dumps({"version": dt.version(), "ids": [r["id"] for r in rows],
                                  "amounts": ["null" if r["amount"] is None else str(r["amount"]) for r in rows],
                                  "protocol": [dt.protocol().min_reader_version, dt.protocol().min_writer_version],
                                  "txn": dt.transaction_version("ferry:t")}))
                """, [dir.path]) as? [String: Any]
        #expect(read?["version"] as? Int == 1)
        #expect(read?["ids"] as? [Int] == [1, 2, 11, 12])
        #expect(read?["amounts"] as? [String] == ["1.50", "null", "1.50", "null"])
        #expect(read?["protocol"] as? [Int] == [3, 7])
        #expect(read?["txn"] as? Int == 42)
    }

    @Test func aTransactionIsCommittedExactlyOnce() throws {
        let dir = TempDirectory("delta")
        let t = table(dir.path)
        try t.create(schema: StructType(fields: [StructField(name: "id", type: .long)]))
        let add = Action.add(AddFile(path: "a.parquet", size: 1, modificationTime: 0))
        let commit = DeltaTable.Commit(
            actions: [add], operation: "WRITE", readVersion: 0, transaction: SetTransaction(appId: "p", version: 5))
        #expect(try t.commit(commit) == .committed(version: 1))
        #expect(try t.commit(commit) == .alreadyCommitted(tableVersion: 1))
        var older = commit
        older.readVersion = 1
        older.transaction = SetTransaction(appId: "p", version: 4)
        #expect(try t.commit(older) == .alreadyCommitted(tableVersion: 1))
        #expect(try t.store.listCommitVersions() == [0, 1])

        // The snapshot a writer holds serves the same check; one of another version is not used.
        var held = older
        held.readSnapshot = try t.snapshot()
        #expect(try t.commit(held) == .alreadyCommitted(tableVersion: 1))
        held.readSnapshot = try t.snapshot(version: 0)
        #expect(try t.commit(held) == .alreadyCommitted(tableVersion: 1))
        held.transaction = SetTransaction(appId: "p", version: 6)
        held.readSnapshot = try t.snapshot()
        #expect(try t.commit(held) == .committed(version: 2))
    }

    @Test func concurrentWritersNeverTearOrGapTheLog() async throws {
        let dir = TempDirectory("delta")
        let t = table(dir.path)
        try t.create(schema: StructType(fields: [StructField(name: "id", type: .long)]))
        let results = await withTaskGroup(of: Result<DeltaTable.CommitResult, DeltaError>.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let add = Action.add(AddFile(path: "f\(i).parquet", size: 1, modificationTime: 0))
                    do throws(DeltaError) {
                        return .success(
                            try t.commit(DeltaTable.Commit(actions: [add], operation: "WRITE", readVersion: 0)))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var out: [Result<DeltaTable.CommitResult, DeltaError>] = []
            for await r in group { out.append(r) }
            return out
        }
        let versions = results.compactMap { r -> Int64? in
            if case .success(.committed(let v)) = r { return v }
            return nil
        }
        #expect(versions.sorted() == Array(1...8))
        #expect(try t.store.listCommitVersions() == Array(0...8))
        #expect(try t.snapshot().files.count == 8)
    }

    @Test func aReplaceLosingToAConcurrentAppendFailsClearly() throws {
        let dir = TempDirectory("delta")
        let t = table(dir.path)
        try t.create(schema: StructType(fields: [StructField(name: "id", type: .long)]))
        _ = try t.commit(
            DeltaTable.Commit(
                actions: [.add(AddFile(path: "old.parquet", size: 1, modificationTime: 0))], operation: "WRITE",
                readVersion: 0))
        // Another writer appends at version 2 while we prepared a replace against version 1.
        _ = try t.commit(
            DeltaTable.Commit(
                actions: [.add(AddFile(path: "new.parquet", size: 1, modificationTime: 0))], operation: "WRITE",
                readVersion: 1))
        let replace = DeltaTable.Commit(
            actions: [
                .remove(RemoveFile(path: "old.parquet", deletionTimestamp: 1)),
                .add(AddFile(path: "r.parquet", size: 1, modificationTime: 0)),
            ],
            operation: "WRITE", readVersion: 1, readFiles: ["old.parquet"])
        #expect {
            _ = try t.commit(replace)
        } throws: { error in
            (error as? DeltaError)?.code == .concurrentModification && "\(error)".contains("version 2")
        }
        #expect(try t.store.listCommitVersions() == [0, 1, 2])
    }

    @Test func tablesNeedingUnimplementedFeaturesAreRefusedByName() throws {
        let dir = TempDirectory("delta")
        let store = LocalLogStore(root: dir.path)
        let actions: [Action] = [
            .protocol(
                ProtocolAction(
                    minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["deletionVectors", "columnMapping"],
                    writerFeatures: ["deletionVectors", "columnMapping"])),
            .metadata(MetadataAction(schemaString: StructType(fields: [StructField(name: "id", type: .long)]).json)),
        ]
        try store.writeCommit(0, try CommitCodec.encode(actions))
        #expect {
            _ = try table(dir.path).snapshot()
        } throws: { error in
            (error as? DeltaError)?.code == .unsupportedFeature && "\(error)".contains("columnMapping")
                && !"\(error)".contains("deletionVectors")
        }
    }

    @Test func aTornCommitIsReportedNotSkipped() throws {
        let dir = TempDirectory("delta")
        let t = table(dir.path)
        try t.create(schema: StructType(fields: [StructField(name: "id", type: .long)]))
        try Data("{\"add\":{\"path\":\"x.parq".utf8).write(
            to: URL(fileURLWithPath: dir.file("_delta_log/00000000000000000001.json")))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.file("_delta_log/.tmp-2-abcd")))
        #expect {
            _ = try t.snapshot()
        } throws: { error in
            (error as? DeltaError)?.code == .corruptLog && "\(error)".contains("commit 1")
        }
        #expect(try t.snapshot(version: 0).version == 0)
    }
}
