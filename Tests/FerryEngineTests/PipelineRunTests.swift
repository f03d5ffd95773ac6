import FerryCore
import FerryState
import FerryTestKit
import Foundation
import GRDB
import Testing

@testable import FerryEngine

/// A run recorded from start to finish through the one `RunRecorder`, against the real SQLite state store.
@Suite struct PipelineRunTests {
    func record(_ id: String) -> RunRecord {
        RunRecord(
            id: id, operation: "replication", configPath: "ferry.yaml", configHash: "h", startedAt: Date(), host: "h",
            user: "u", dryRun: false)
    }

    func run(_ f: ShopFixture, store: StateStore, id: String) -> PipelineRun {
        PipelineRun(run: record(id), recorder: store, engine: f.engine(store: store), changeCapture: nil)
    }

    @Test func aRunIsRecordedFromItsStartToItsEndWithEveryTableRun() async throws {
        let f = try ShopFixture(events: 10)
        let store = try StateStore(path: f.dir.file("state.db"))
        let result = try await run(f, store: store, id: "run-1").execute(tables: [
            TableSpec(name: TableName(name: "events")), TableSpec(name: TableName(name: "nope")),
        ])
        #expect(result.failed.map(\.table) == ["nope"])
        #expect(result.recordErrors.isEmpty)
        let recorded = try #require(try store.run(id: "run-1"))
        #expect(recorded.status == "failed")
        #expect(recorded.finishedAt != nil)
        #expect(Set(try store.tableRuns(runId: "run-1", limit: 10).map(\.table)) == ["events", "nope"])
    }

    @Test func cdcTablesWithoutAChangeSourceFailByNameAndAreRecorded() async throws {
        let f = try ShopFixture(events: 3)
        let store = try StateStore(path: f.dir.file("state.db"))
        var cdc = TableSpec(name: TableName(name: "events"))
        cdc.syncMode = .cdc
        let result = try await run(f, store: store, id: "run-2").execute(tables: [cdc])
        let failed = try #require(result.failed.first)
        #expect(failed.error?.message.contains("needs a PostgreSQL source") == true)
        #expect(try store.run(id: "run-2")?.status == "failed")
    }

    @Test func aTableRunTheStoreCannotTakeIsReportedAndTheDataStaysCommitted() async throws {
        let f = try ShopFixture(events: 10)
        let path = f.dir.file("state.db")
        let store = try StateStore(path: path)
        // The store breaks under the run: its table_runs table is gone.
        try await DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TABLE table_runs") }
        let result = try await run(f, store: store, id: "run-3").execute(tables: [
            TableSpec(name: TableName(name: "events"))
        ])
        #expect(result.failed.isEmpty)
        #expect(result.outcomes.first?.recordError != nil)
        #expect(result.recordErrors.count == 1)
        #expect(try f.targetScalar("SELECT count(*) FROM events") == 10)
        #expect(try store.run(id: "run-3")?.status == "succeeded", "the run's own record is still written")
    }
}
