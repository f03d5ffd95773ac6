import FerryTestKit
import Foundation
import Testing

@testable import DeltaLake

/// A held snapshot brought up to date from the commits after it equals a snapshot loaded afresh.
@Suite struct SnapshotRefreshTests {
    func table(_ path: String) -> DeltaTable {
        DeltaTable(store: LocalLogStore(root: path), engineInfo: "ferry/test")
    }

    func expectSame(_ a: Snapshot, _ b: Snapshot, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.version == b.version, sourceLocation: sourceLocation)
        #expect(a.files == b.files, sourceLocation: sourceLocation)
        #expect(a.transactions == b.transactions, sourceLocation: sourceLocation)
        #expect(a.transactionCommits == b.transactionCommits, sourceLocation: sourceLocation)
        #expect(a.metadata == b.metadata, sourceLocation: sourceLocation)
        #expect(a.protocolAction == b.protocolAction, sourceLocation: sourceLocation)
        #expect(a.tombstones == b.tombstones, sourceLocation: sourceLocation)
    }

    @Test func aRefreshedSnapshotEqualsAFreshOne() throws {
        let dir = TempDirectory("refresh")
        let sample = try SampleTable(table(dir.path), commits: 23, writeData: false)
        let store = sample.table.store
        // Replayed from JSON on both sides, so that tombstones a checkpoint dropped do not differ.
        let held = try Snapshot.load(store: store, version: 5, checkpoints: nil)
        let refreshed = try Snapshot.refresh(held, store: store, checkpoints: nil)
        expectSame(refreshed, try Snapshot.load(store: store, checkpoints: nil))
        #expect(refreshed.version == 23)
        #expect(refreshed.transactionVersion(appId: "pipe-odd") == 2300)

        // Nothing new: the same snapshot.
        #expect(try sample.table.snapshot(refreshing: refreshed).version == 23)
    }

    @Test func aRefreshWithCommitsMissingLoadsAfresh() throws {
        let dir = TempDirectory("refresh")
        let sample = try SampleTable(table(dir.path), commits: 23, writeData: false)
        let held = try sample.table.snapshot(version: 5)
        // Commits cleaned up after the checkpoint of version 10: the held snapshot cannot be brought forward.
        try FileManager.default.removeItem(atPath: dir.file("_delta_log/" + String(format: "%020d.json", 7)))
        expectSame(try sample.table.snapshot(refreshing: held), try sample.table.snapshot())
    }
}
