import DeltaLake
import FerryTestKit
import Foundation
import Testing

/// Checkpoints across implementations: delta-rs and pyarrow read Ferry's, Ferry reads delta-rs'.
@Suite struct CheckpointInteropTests {
    func table(_ path: String) -> DeltaTable {
        DeltaTable(store: LocalLogStore(root: path), engineInfo: "ferry/test")
    }

    static let deletionVector =
        "deletionVector: struct<storageType: string, pathOrInlineDv: string, offset: int32, sizeInBytes: int32, "
        + "cardinality: int64>"

    @Test func deltaRsAndPyarrowReadFerrysCheckpoints() throws {
        let dir = TempDirectory("checkpoint")
        let copy = TempDirectory("checkpoint-copy")
        let sample = try SampleTable(table(dir.path), commits: 25, writeData: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("_delta_log"))
        #expect(names.filter { $0.contains("checkpoint.parquet") }.sorted() == [10, 20].map(checkpointName))
        let last = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: dir.file("_delta_log/_last_checkpoint")))) as? [String: Int]
        )
        let atTwenty = try Snapshot.load(store: sample.table.store, version: 20, checkpoints: nil)
        let recent = atTwenty.tombstones.filter { $0.key.path != SampleTable.path(1) }
        let bytes = try FileManager.default.attributesOfItem(atPath: dir.checkpointPath(20))[.size] as? Int
        #expect(last["version"] == 20)
        #expect(last["numOfAddFiles"] == atTwenty.files.count)
        #expect(last["size"] == 2 + atTwenty.transactions.count + atTwenty.files.count + recent.count)
        #expect(last["sizeInBytes"] == bytes)

        // delta-rs on the table as it is, and on a copy without the commits the checkpoint at 20 replaces,
        // which it can only read through that checkpoint.
        let result =
            try Python.json(
                """
                import sys, os, re, json, shutil, pyarrow.parquet as pq
                from deltalake import DeltaTable
                p, copy = sys.argv[1], sys.argv[2]
                shutil.copytree(p, copy, dirs_exist_ok=True)
                for v in range(20):
                    os.remove(os.path.join(copy, "_delta_log", "%020d.json" % v))
                def state(path, version=None):
                    dt = DeltaTable(path) if version is None else DeltaTable(path, version=version)
                    rows = sorted(dt.to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
                    return {"version": dt.version(),
                            "files": sorted(os.path.basename(u) for u in dt.file_uris()),
                            "ids": [r["id"] for r in rows],
                            "parts": [r["part"] for r in rows],
                            "txn": dt.transaction_version("pipe-even")}
                cp = os.path.join(p, "_delta_log", "%020d.checkpoint.parquet" % 20)
                schema = pq.read_schema(cp)
                t = pq.read_table(cp)
                print(json.dumps({
                    "latest": state(p), "v12": state(p, 12), "v5": state(p, 5),
                    "copy": state(copy), "copy22": state(copy, 22),
                    "columns": schema.names,
                    # pyarrow names a map's entries after the map when no Arrow schema is stored: drop that.
                    "types": {n: re.sub(r" \\('\\w+'\\)", "", str(schema.field(n).type)) for n in schema.names},
                    "rows": {n: t.num_rows - t.column(n).null_count for n in schema.names},
                }))
                """, [dir.path, copy.path]) as? [String: Any]
        let expected = try sample.table.snapshot()
        let expectedFiles = expected.files.keys.map { ($0 as NSString).lastPathComponent }.sorted()
        let expectedIds = expected.files.keys.flatMap { sample.ids[$0] ?? [] }.sorted().map(Int.init)
        for key in ["latest", "copy"] {
            let state = result?[key] as? [String: Any]
            #expect(state?["version"] as? Int == 25, "\(key)")
            #expect(state?["files"] as? [String] == expectedFiles, "\(key)")
            #expect(state?["ids"] as? [Int] == expectedIds, "\(key)")
            #expect(state?["txn"] as? Int == 2400, "\(key)")
            #expect((state?["parts"] as? [Any])?.contains { $0 is NSNull } == true, "\(key)")
        }
        for (key, version) in [("v12", 12), ("v5", 5), ("copy22", 22)] {
            let snapshot = try Snapshot.load(store: sample.table.store, version: Int64(version), checkpoints: nil)
            let state = result?[key] as? [String: Any]
            #expect(state?["version"] as? Int == version)
            #expect(
                state?["files"] as? [String] == snapshot.files.keys.map { ($0 as NSString).lastPathComponent }.sorted()
            )
        }

        // pyarrow reads the checkpoint file itself, with the spec's column names and types.
        #expect(result?["columns"] as? [String] == ["txn", "add", "remove", "metaData", "protocol"])
        let types = result?["types"] as? [String: String] ?? [:]
        #expect(types["txn"] == "struct<appId: string, version: int64, lastUpdated: int64>")
        #expect(
            types["add"]
                == "struct<path: string, partitionValues: map<string, string>, size: int64, modificationTime: int64, "
                + "dataChange: bool, stats: string, tags: map<string, string>, \(Self.deletionVector)>")
        #expect(
            types["remove"]
                == "struct<path: string, deletionTimestamp: int64, dataChange: bool, extendedFileMetadata: bool, "
                + "partitionValues: map<string, string>, size: int64, \(Self.deletionVector)>")
        #expect(
            types["metaData"]
                == "struct<id: string, name: string, description: string, format: struct<provider: string, "
                + "options: map<string, string>>, schemaString: string, partitionColumns: list<element: string>, "
                + "configuration: map<string, string>, createdTime: int64>")
        #expect(
            types["protocol"]
                == "struct<minReaderVersion: int32, minWriterVersion: int32, readerFeatures: list<element: string>, "
                + "writerFeatures: list<element: string>>")
        let rows = result?["rows"] as? [String: Int] ?? [:]
        #expect(rows == ["txn": 2, "add": atTwenty.files.count, "remove": recent.count, "metaData": 1, "protocol": 1])
    }

    @Test func ferryReadsACheckpointDeltaRsWrote() throws {
        let dir = TempDirectory("checkpoint")
        let info =
            try Python.json(
                """
                import sys, os, json, pyarrow as pa
                from deltalake import write_deltalake, DeltaTable, CommitProperties, Transaction
                p = sys.argv[1]
                t = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", None],
                              "part": ["x", "y", None]})
                write_deltalake(p, t, partition_by=["part"])
                write_deltalake(p, t, mode="append",
                                commit_properties=CommitProperties(app_transactions=[Transaction("pipe-1", 7)]))
                write_deltalake(p, t.slice(0, 1), mode="overwrite")
                write_deltalake(p, t, mode="append")
                write_deltalake(p, t.slice(2, 1), mode="append")
                DeltaTable(p).create_checkpoint()
                write_deltalake(p, t.slice(1, 1), mode="append")
                dt = DeltaTable(p)
                names = lambda d: sorted(os.path.basename(u) for u in d.file_uris())
                print(json.dumps({"version": dt.version(), "files": names(dt), "rows": dt.to_pyarrow_table().num_rows,
                                  "v3": names(DeltaTable(p, version=3)),
                                  "log": sorted(os.listdir(os.path.join(p, "_delta_log")))}))
                """, [dir.path]) as? [String: Any]
        #expect((info?["log"] as? [String])?.contains(checkpointName(4)) == true)
        let fromJSON = try Snapshot.load(store: LocalLogStore(root: dir.path), checkpoints: nil)

        func check(_ snapshot: Snapshot) {
            #expect(snapshot.checkpointVersion == 4)
            #expect(snapshot.version == Int64(info?["version"] as? Int ?? -1))
            #expect(
                snapshot.files.keys.map { ($0 as NSString).lastPathComponent }.sorted() == info?["files"] as? [String])
            #expect(snapshot.numRecords.map(Int.init) == info?["rows"] as? Int)
            #expect(snapshot.transactionVersion(appId: "pipe-1") == 7)
            #expect(snapshot.metadata.partitionColumns == ["part"])
            #expect(snapshot.metadata == fromJSON.metadata)
            #expect(snapshot.protocolAction == fromJSON.protocolAction)
            #expect(snapshot.files.mapValues(\.stats) == fromJSON.files.mapValues(\.stats))
            #expect(snapshot.files.mapValues(\.partitionValues) == fromJSON.files.mapValues(\.partitionValues))
            #expect(snapshot.files.values.contains { $0.partitionValues["part"] == .some(nil) })
        }
        check(try table(dir.path).snapshot())
        #expect(try table(dir.path).snapshot(version: 3).files.count == (info?["v3"] as? [String])?.count)

        // Once the commits before the checkpoint are gone, it is the only way to the state, and time travel
        // to before it fails clearly.
        try dir.deleteCommits(0...3)
        check(try table(dir.path).snapshot())
        #expect {
            _ = try table(dir.path).snapshot(version: 3)
        } throws: { error in
            (error as? DeltaError)?.code == .versionNotFound && "\(error)".contains("version 3")
                && "\(error)".contains("cleaned up")
        }
        try dir.deleteCommits(4...4)
        check(try table(dir.path).snapshot())
    }

    private func checkpointName(_ version: Int64) -> String {
        let digits = String(version)
        return String(repeating: "0", count: 20 - digits.count) + digits + ".checkpoint.parquet"
    }
}
