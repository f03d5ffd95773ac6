import FerryTestKit
import Foundation
import Synchronization
import Testing

@testable import DeltaLake

/// A damaged log as a user meets it: errors that name the file and the place, and a table that heals itself for
/// other readers where it can.
@Suite struct DamagedLogTests {
    func table(_ path: String) -> DeltaTable {
        DeltaTable(store: LocalLogStore(root: path), engineInfo: "ferry/test")
    }

    /// The error `snapshot()` throws, as the user reads it.
    func loadFailure(_ t: DeltaTable) -> String? {
        do throws(DeltaError) {
            _ = try t.snapshot()
            return nil
        } catch {
            #expect(error.code == .corruptLog)
            return "\(error)"
        }
    }

    @Test func aTruncatedCommitIsReportedByFileLineAndByteWithoutSwiftTypeNames() throws {
        let dir = TempDirectory("delta-damaged")
        let t = table(dir.path)
        try t.create(schema: StructType(fields: [StructField(name: "id", type: .long)]))
        let first =
            #"{"add":{"path":"a.parquet","partitionValues":{},"size":1,"modificationTime":0,"dataChange":true}}"#
        let commit = dir.file("_delta_log/00000000000000000001.json")
        try Data((first + "\n" + #"{"add":{"path":"b.parq"#).utf8).write(to: URL(fileURLWithPath: commit))
        let truncated = try #require(loadFailure(t))
        #expect(truncated.contains("_delta_log/00000000000000000001.json"), "\(truncated)")
        #expect(truncated.contains("line 2, starting at byte \(first.utf8.count + 1)"), "\(truncated)")
        #expect(truncated.contains("truncated"), "\(truncated)")

        // A whole line that is JSON but not an action says which field is wrong.
        try Data((first + "\n" + #"{"add":{"path":7}}"# + "\n").utf8).write(to: URL(fileURLWithPath: commit))
        let wrongType = try #require(loadFailure(t))
        #expect(wrongType.contains("line 2") && wrongType.contains("\"add.path\" has the wrong type"), "\(wrongType)")
        try Data("{\"add\": nonsense}\n".utf8).write(to: URL(fileURLWithPath: commit))
        let notJSON = try #require(loadFailure(t))
        #expect(notJSON.contains("line 1, starting at byte 0") && notJSON.contains("not valid JSON"), "\(notJSON)")
        for message in [truncated, wrongType, notJSON] {
            for swiftName in ["DecodingError", "dataCorrupted", "typeMismatch", "Swift.", "CodingKeys", "NSError"] {
                #expect(!message.contains(swiftName), "\(message)")
            }
        }
    }

    @Test func aGarbageCheckpointIsReportedAndTheNextCommitWritesOneDeltaRsOpens() throws {
        let dir = TempDirectory("delta-damaged")
        let warnings = Mutex<[String]>([])
        var t = table(dir.path)
        t.onCheckpointFailure = { error in warnings.withLock { $0.append("\(error)") } }
        let sample = try SampleTable(t, commits: 12, writeData: true)
        guard case .written(let last)? = sample.outcomes[10], last.version == 10 else {
            Issue.record("expected the checkpoint at 10, got \(String(describing: sample.outcomes[10]))")
            return
        }
        let expected = try Snapshot.load(store: t.store, checkpoints: nil)
        try Data("this is not a parquet file".utf8).write(to: URL(fileURLWithPath: dir.checkpointPath(10)))
        let openWithDeltaRs = """
            import sys, json
            from deltalake import DeltaTable
            try:
                dt = DeltaTable(sys.argv[1])
                print(json.dumps({"version": dt.version(), "files": len(dt.file_uris())}))
            except Exception as e:
                print(json.dumps({"error": str(e)}))
            """
        let before = try Python.json(openWithDeltaRs, [dir.path]) as? [String: Any]
        #expect(
            before?["error"] != nil, "delta-rs should fail on the garbage checkpoint: \(String(describing: before))")

        let snapshot = try t.snapshot()
        #expect(snapshot.files == expected.files && snapshot.version == 12)
        let warned = warnings.withLock { $0 }
        #expect(warned.count == 1)
        #expect(warned.first?.contains("_delta_log/00000000000000000010.checkpoint.parquet") == true, "\(warned)")
        #expect(warned.first?.contains("next commit writes a new checkpoint") == true, "\(warned)")

        var commit = DeltaTable.Commit(
            actions: [.remove(try #require(snapshot.files[SampleTable.path(3)]).removal(at: 1))],
            operation: "DELETE", readVersion: snapshot.version, readFiles: [SampleTable.path(3)])
        commit.readSnapshot = snapshot
        let report = try t.commitReporting(commit)
        #expect(report.result == .committed(version: 13))
        guard case .written(let repaired) = report.checkpoint else {
            Issue.record("expected a checkpoint at 13, got \(report.checkpoint)")
            return
        }
        #expect(repaired.version == 13)
        let after = try #require(try Python.json(openWithDeltaRs, [dir.path]) as? [String: Any])
        #expect(after["error"] == nil, "\(after)")
        #expect(after["version"] as? Int == 13)
        #expect(after["files"] as? Int == expected.files.count - 1)
        // Ferry reads the new checkpoint now, and has nothing more to say.
        let reread = try t.snapshot()
        #expect(reread.checkpointVersion == 13 && reread.unreadableCheckpoints.isEmpty)
        #expect(warnings.withLock { $0.count } == 1)
    }
}
