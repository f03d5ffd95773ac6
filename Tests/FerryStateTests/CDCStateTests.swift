import FerryCore
import FerryState
import FerryTestKit
import Foundation
import Testing

/// CDC pipelines (one per slot) and the positions each table's target holds.
@Suite struct CDCStateTests {
    typealias F = StateFixtures

    func pipeline(
        _ slot: String, status: CDCPipelineRecord.Status = .streaming, through: UInt64? = 0x16_B374_D848,
        systemId: String? = "7311234567890123456"
    ) -> CDCPipelineRecord {
        CDCPipelineRecord(
            slotName: slot, publication: "pub_\(slot)", status: status,
            appliedThrough: through.map { LSN(rawValue: $0) },
            lastCommitAt: F.date(12.345), systemId: systemId, updatedAt: F.date(13))
    }

    func position(
        _ slot: String, _ table: String, _ lsn: UInt64, changes: Int64, at seconds: Double
    )
        -> CDCTableRecord
    {
        CDCTableRecord(
            slotName: slot, table: table, position: LSN(rawValue: lsn), lastCommitAt: F.date(seconds),
            changesApplied: changes, updatedAt: F.date(seconds + 1))
    }

    func sorted(_ tables: [CDCTableRecord]) -> [CDCTableRecord] { tables.sorted { $0.table < $1.table } }

    @Test func aPipelineKeepsEveryFieldIncludingTheSystemId() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        #expect(try store.cdcPipeline(slot: "ferry_main") == nil)
        let p = pipeline("ferry_main")
        try store.saveCDCPipeline(p)
        #expect(try store.cdcPipeline(slot: "ferry_main") == p)
        #expect(try store.cdcPipeline(slot: "other") == nil)
    }

    @Test func savingAPipelineAgainReplacesEveryField() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.saveCDCPipeline(pipeline("s", status: .creating, through: nil, systemId: nil))
        #expect(try store.cdcPipeline(slot: "s")?.appliedThrough == nil)
        #expect(try store.cdcPipeline(slot: "s")?.systemId == nil)
        var streaming = pipeline("s", status: .streaming, through: 0x1_0000_0000, systemId: "7311")
        streaming.publication = "renamed"
        streaming.lastCommitAt = nil
        streaming.updatedAt = F.date(99)
        try store.saveCDCPipeline(streaming)
        #expect(try store.cdcPipeline(slot: "s") == streaming)
    }

    @Test func positionsPastTheSignedRangeRoundTrip() throws {
        // LSNs are unsigned 64-bit; SQLite integers are signed. The top half must come back unchanged.
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        let high = UInt64.max - 7
        try store.saveCDCPipeline(pipeline("s", through: high))
        try store.saveCDCTables([position("s", "t", high, changes: 1, at: 0)])
        #expect(try store.cdcPipeline(slot: "s")?.appliedThrough == LSN(rawValue: high))
        #expect(try store.cdcTables(slot: "s").first?.position == LSN(rawValue: high))
    }

    @Test func tablePositionsMoveAndTheirChangeCountsAddUp() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.saveCDCPipeline(pipeline("s"))
        try store.saveCDCTables([
            position("s", "public.a", 100, changes: 5, at: 1), position("s", "b", 100, changes: 2, at: 1),
        ])
        try store.saveCDCTables([position("s", "public.a", 200, changes: 7, at: 2)])
        var a = position("s", "public.a", 200, changes: 12, at: 2)
        #expect(sorted(try store.cdcTables(slot: "s")) == [position("s", "b", 100, changes: 2, at: 1), a])
        // A batch with no changes for a table still moves its position (it was confirmed past them).
        try store.saveCDCTables([position("s", "public.a", 300, changes: 0, at: 3)])
        a = position("s", "public.a", 300, changes: 12, at: 3)
        #expect(try store.cdcTables(slot: "s").first { $0.table == "public.a" } == a)
        try store.saveCDCTables([])
        #expect(try store.cdcTables(slot: "s").count == 2)
        #expect(try store.cdcTables(slot: "other").isEmpty)
    }

    @Test func aTableWithoutACommitTimeKeepsNone() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        var loaded = position("s", "t", 42, changes: 0, at: 0)
        loaded.lastCommitAt = nil
        try store.saveCDCTables([loaded])
        #expect(try store.cdcTables(slot: "s") == [loaded])
    }

    @Test func forgettingAPipelineDropsItAndItsTablesOnly() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.saveCDCPipeline(pipeline("gone"))
        try store.saveCDCPipeline(pipeline("kept"))
        try store.saveCDCTables([
            position("gone", "t", 1, changes: 1, at: 0), position("kept", "t", 2, changes: 1, at: 0),
        ])
        try store.deleteCDCPipeline(slot: "gone")
        #expect(try store.cdcPipeline(slot: "gone") == nil)
        #expect(try store.cdcTables(slot: "gone").isEmpty)
        #expect(try store.cdcPipeline(slot: "kept") == pipeline("kept"))
        #expect(try store.cdcTables(slot: "kept") == [position("kept", "t", 2, changes: 1, at: 0)])
        // Forgetting an unknown slot is not an error: `ferry cleanup` may run twice.
        try store.deleteCDCPipeline(slot: "gone")
    }
}
