import FerryTestKit
import Foundation
import Synchronization
import Testing

@testable import DeltaLake

/// Checkpoints as Ferry writes and reads them; interop with delta-rs and pyarrow is in `CheckpointInteropTests`.
@Suite struct CheckpointTests {
    func table(_ path: String) -> DeltaTable {
        DeltaTable(store: LocalLogStore(root: path), engineInfo: "ferry/test")
    }

    @Test func replayFromACheckpointEqualsReplayFromJSON() throws {
        let dir = TempDirectory("checkpoint")
        let sample = try SampleTable(table(dir.path), commits: 23, writeData: false)
        #expect(FileManager.default.fileExists(atPath: dir.checkpointPath(10)))
        #expect(FileManager.default.fileExists(atPath: dir.checkpointPath(20)))
        for version in [nil, 15, 20] as [Int64?] {
            let fromCheckpoint = try sample.table.snapshot(version: version)
            let fromJSON = try Snapshot.load(store: sample.table.store, version: version, checkpoints: nil)
            #expect(fromCheckpoint.checkpointVersion == (version == 15 ? 10 : 20))
            #expect(fromJSON.checkpointVersion == nil)
            #expect(fromCheckpoint.version == fromJSON.version)
            #expect(fromCheckpoint.files == fromJSON.files)
            #expect(fromCheckpoint.transactions == fromJSON.transactions)
            #expect(fromCheckpoint.metadata == fromJSON.metadata)
            #expect(fromCheckpoint.protocolAction == fromJSON.protocolAction)
            // The tombstone removed 30 days ago is past the one-week retention, so the checkpoint dropped it.
            var recent = fromJSON.tombstones
            recent[LogicalFileKey(path: SampleTable.path(1), deletionVector: nil)] = nil
            #expect(fromCheckpoint.tombstones == recent)
            #expect(fromJSON.tombstones.count == recent.count + 1)
        }
        let latest = try sample.table.snapshot()
        #expect(latest.protocolAction.readerFeatures == ["timestampNtz"])
        #expect(latest.files.values.contains { $0.partitionValues["part"] == .some(nil) })
        #expect(latest.files[SampleTable.path(2)] == nil)
        #expect(latest.transactionVersion(appId: "pipe-even") == 2200)
        #expect(latest.transactionVersion(appId: "pipe-odd") == 2300)
    }

    @Test func checkpointsFollowTheIntervalAndLastCheckpointDescribesThem() throws {
        let dir = TempDirectory("checkpoint")
        let sample = try SampleTable(
            table(dir.path), commits: 7, writeData: false, configuration: ["delta.checkpointInterval": "3"])
        for version in Int64(1)...7 {
            switch sample.outcomes[version] {
            case .written(let last)?:
                #expect(version % 3 == 0, "checkpoint at \(version)")
                #expect(last.version == version)
            case .notDue?: #expect(version % 3 != 0, "no checkpoint at \(version)")
            default: Issue.record("version \(version): \(String(describing: sample.outcomes[version]))")
            }
        }
        let data = try #require(FileManager.default.contents(atPath: dir.file("_delta_log/_last_checkpoint")))
        let last = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Int])
        let snapshot = try Snapshot.load(store: sample.table.store, version: 6, checkpoints: nil)
        let size = try FileManager.default.attributesOfItem(atPath: dir.checkpointPath(6))[.size] as? Int
        #expect(last["version"] == 6)
        #expect(last["numOfAddFiles"] == snapshot.files.count)
        #expect(last["size"] == 2 + snapshot.transactions.count + snapshot.files.count + snapshot.tombstones.count)
        #expect(last["sizeInBytes"] == size)
        #expect(Set(last.keys) == ["version", "size", "sizeInBytes", "numOfAddFiles"])
    }

    @Test func aFailingCheckpointNeverFailsTheCommit() throws {
        let dir = TempDirectory("checkpoint")
        let warnings = Mutex<[String]>([])
        var failing = DeltaTable(store: CheckpointFailingStore(base: LocalLogStore(root: dir.path)), engineInfo: "t")
        failing.onCheckpointFailure = { error in warnings.withLock { $0.append("\(error)") } }
        let sample = try SampleTable(failing, commits: 10, writeData: false)
        guard case .failed(let error)? = sample.outcomes[10] else {
            Issue.record("expected a failed checkpoint, got \(String(describing: sample.outcomes[10]))")
            return
        }
        #expect(error.code == .io && "\(error)".contains("injected failure") && "\(error)".contains("commit stands"))
        #expect(try failing.store.listCommitVersions().last == 10)
        #expect(try failing.snapshot().version == 10)
        #expect(!FileManager.default.fileExists(atPath: dir.file("_delta_log/_last_checkpoint")))

        // The plain commit() path reports the failure to the handler and returns normally.
        for version in Int64(11)...20 {
            let add = Action.add(AddFile(path: "g\(version).parquet", size: 1, modificationTime: 0))
            let result = try failing.commit(
                DeltaTable.Commit(actions: [add], operation: "WRITE", readVersion: version - 1))
            #expect(result == .committed(version: version))
        }
        #expect(warnings.withLock { $0.count } == 1)
        #expect(warnings.withLock { $0.first?.contains("version 20") ?? false })

        // On a local store: the checkpoint's name is taken by a directory, so the rename fails.
        let local = table(dir.path)
        try FileManager.default.createDirectory(
            atPath: dir.checkpointPath(30) + "/blocker", withIntermediateDirectories: true)
        var report: DeltaTable.CommitReport?
        for version in Int64(21)...30 {
            let add = Action.add(AddFile(path: "h\(version).parquet", size: 1, modificationTime: 0))
            report = try local.commitReporting(
                DeltaTable.Commit(actions: [add], operation: "WRITE", readVersion: version - 1))
        }
        #expect(report?.result == .committed(version: 30))
        guard case .failed? = report?.checkpoint else {
            Issue.record("expected a failed checkpoint at 30, got \(String(describing: report?.checkpoint))")
            return
        }
        let jsonOnly = try Snapshot.load(store: local.store, checkpoints: nil)
        #expect(try local.snapshot().files == jsonOnly.files)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.file("_delta_log"))
            .filter { $0.hasPrefix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func multiPartCheckpointsAreReadAndIncompleteOnesIgnored() throws {
        let dir = TempDirectory("checkpoint")
        let sample = try SampleTable(table(dir.path), commits: 12, writeData: false)
        let expected = try sample.table.snapshot()
        // Split the classic checkpoint at 10 into three parts, as an older Spark would have written it.
        try Python.run(
            """
            import sys, os, json, pyarrow.parquet as pq
            log = os.path.join(sys.argv[1], "_delta_log")
            classic = os.path.join(log, "00000000000000000010.checkpoint.parquet")
            t = pq.read_table(classic)
            step = (t.num_rows + 2) // 3
            for part in range(3):
                name = "00000000000000000010.checkpoint.%010d.%010d.parquet" % (part + 1, 3)
                pq.write_table(t.slice(part * step, step), os.path.join(log, name))
            os.remove(classic)
            with open(os.path.join(log, "_last_checkpoint"), "w") as f:
                json.dump({"version": 10, "size": t.num_rows, "parts": 3}, f)
            """, [dir.path])
        try dir.deleteCommits(0...9)
        let fromParts = try sample.table.snapshot()
        #expect(fromParts.checkpointVersion == 10)
        #expect(fromParts.files == expected.files)
        #expect(fromParts.transactions == expected.transactions)
        #expect(fromParts.metadata == expected.metadata)
        #expect(fromParts.protocolAction == expected.protocolAction)

        // Without its second part the multi-part checkpoint is ignored, and nothing else covers versions 0...9.
        try FileManager.default.removeItem(
            atPath: dir.file("_delta_log/00000000000000000010.checkpoint.0000000002.0000000003.parquet"))
        #expect {
            _ = try sample.table.snapshot()
        } throws: { error in
            (error as? DeltaError)?.code == .versionNotFound && "\(error)".contains("cleaned up")
        }
    }

    @Test func v2CheckpointsAreRefusedByName() throws {
        let dir = TempDirectory("checkpoint")
        let sample = try SampleTable(table(dir.path), commits: 11, writeData: false)
        let uuidNamed = "00000000000000000011.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json"
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: dir.file("_delta_log/" + uuidNamed)))
        #expect {
            _ = try sample.table.snapshot()
        } throws: { error in
            (error as? DeltaError)?.code == .unsupportedFeature && "\(error)".contains("v2Checkpoint")
                && "\(error)".contains(uuidNamed)
        }
        // Time travel to before it still works from the classic checkpoint at 10.
        #expect(try sample.table.snapshot(version: 10).checkpointVersion == 10)

        let v2Table = TempDirectory("checkpoint")
        let store = LocalLogStore(root: v2Table.path)
        try store.writeCommit(
            0,
            try CommitCodec.encode([
                .protocol(
                    ProtocolAction(
                        minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["v2Checkpoint"],
                        writerFeatures: ["v2Checkpoint"])),
                .metadata(MetadataAction(schemaString: SampleTable.schema.json)),
            ]))
        #expect {
            _ = try table(v2Table.path).snapshot()
        } throws: { error in
            (error as? DeltaError)?.code == .unsupportedFeature && "\(error)".contains("v2Checkpoint")
        }
    }

    @Test func aStaleOrMissingLastCheckpointFallsBackToListing() throws {
        let dir = TempDirectory("checkpoint")
        let sample = try SampleTable(table(dir.path), commits: 21, writeData: false)
        try Data(#"{"version":10,"size":3}"#.utf8).write(
            to: URL(fileURLWithPath: dir.file("_delta_log/_last_checkpoint")))
        #expect(try sample.table.snapshot().checkpointVersion == 20)
        try FileManager.default.removeItem(atPath: dir.file("_delta_log/_last_checkpoint"))
        try dir.deleteCommits(0...19)
        #expect(try sample.table.snapshot().checkpointVersion == 20)
        #expect(try sample.table.snapshot().version == 21)
        // A torn checkpoint is passed over for an older one when the commits after that are still there.
        let other = TempDirectory("checkpoint")
        let second = try SampleTable(table(other.path), commits: 21, writeData: false)
        try Data("PAR1 torn".utf8).write(to: URL(fileURLWithPath: other.checkpointPath(20)))
        let snapshot = try second.table.snapshot()
        #expect(snapshot.checkpointVersion == 10)
        #expect(snapshot.files == (try Snapshot.load(store: second.table.store, checkpoints: nil).files))
    }

    @Test func intervalsParseLikeSpark() {
        #expect(TableProperties.interval("interval 1 week") == 604_800)
        #expect(TableProperties.interval("interval 2 days 12 hours") == 216_000)
        #expect(TableProperties.interval("1 weeks") == 604_800)
        #expect(TableProperties.interval("interval one week") == nil)
        #expect(TableProperties.checkpointInterval(["delta.checkpointInterval": "0"]) == 10)
    }

    @Test func logFileNamesAreRecognised() {
        #expect(LogFileName("00000000000000000007.json") == .commit(7))
        #expect(LogFileName("00000000000000000010.checkpoint.parquet") == .classicCheckpoint(10))
        #expect(
            LogFileName("00000000000000000010.checkpoint.0000000002.0000000003.parquet")
                == .checkpointPart(10, part: 2, parts: 3))
        #expect(
            LogFileName("00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet")
                == .uuidCheckpoint(10))
        for other in [
            "_last_checkpoint", "00000000000000000010.crc", ".tmp-checkpoint-x.parquet",
            "00000000000000000004.00000000000000000006.compacted.json", "0000000000000000010.json",
        ] {
            #expect(LogFileName(other) == nil, "\(other)")
        }
    }
}
