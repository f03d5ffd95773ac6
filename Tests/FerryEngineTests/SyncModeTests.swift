import FerryCore
import FerryEngine
import FerrySQLite
import FerryState
import FerryTestKit
import Foundation
import GRDB
import Testing

@Suite struct SyncModeTests {
    @Test(arguments: [LoadStrategy.simpleCopy, .stagingSwap])
    func fullReplaceEndsWithExactlyTheSourceRows(strategy: LoadStrategy) async throws {
        let f = try ShopFixture(events: 250)
        let spec = TableSpec(name: TableName(name: "events"), strategy: strategy, batchSize: 64)
        var out = await f.engine().run(tables: [spec], runId: "r1")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        try expectSameContents(f, "events")
        try f.source("DELETE FROM events WHERE id % 10 = 0; UPDATE events SET kind = 'changed' WHERE id < 5")
        out = await f.engine().run(tables: [spec], runId: "r2")
        #expect(out[0].rowsWritten == 225)
        try expectSameContents(f, "events")
        #expect(try f.targetScalar("SELECT count(*) FROM sqlite_master WHERE name = 'events_kind'") == 1)
        #expect(try f.targetScalar("SELECT count(*) FROM sqlite_master WHERE name LIKE '%ferry_staging%'") == 0)
    }

    @Test func incrementalIdentityAppendsOnlyNewRows() async throws {
        let f = try ShopFixture(events: 100)
        let spec = TableSpec(
            name: TableName(name: "events"), syncMode: .incremental, incrementalColumn: "id",
            incrementalType: .identity,
            batchSize: 30)
        var out = await f.engine().run(tables: [spec], runId: "r1")
        #expect(out[0].rowsWritten == 100)
        #expect(out[0].watermarkAfter == "100")
        try f.writeSource { db in
            for i in 101...140 { try ShopFixture.insertEvent(db, id: i, day: 20_000) }
        }
        out = await f.engine().run(tables: [spec], runId: "r2")
        #expect(out[0].plan?.filter == RowFilter(column: "id", comparison: .greaterThan, value: .int(100)))
        #expect(out[0].rowsWritten == 40)
        #expect(out[0].watermarkBefore == "100")
        #expect(out[0].watermarkAfter == "140")
        try expectSameContents(f, "events")
        out = await f.engine().run(tables: [spec], runId: "r3")
        #expect(out[0].rowsWritten == 0)
        #expect(try f.targetScalar("SELECT count(*) FROM events") == 140)
    }

    @Test func dateBufferResyncsRecentRowsWithoutDuplicates() async throws {
        let f = try ShopFixture(events: 60)
        let spec = TableSpec(
            name: TableName(name: "events"), syncMode: .incremental, incrementalColumn: "day", incrementalType: .date,
            dateBufferDays: 7, batchSize: 16)
        _ = await f.engine().run(tables: [spec], runId: "r1")
        // Update a recent row (inside the buffer) and an old one (outside), insert new ones.
        try f.source("UPDATE events SET note = 'late fix' WHERE id IN (58, 3)")
        try f.writeSource { db in
            for i in 61...65 { try ShopFixture.insertEvent(db, id: i, day: 19_000 + Int64(i)) }
        }
        let out = await f.engine().run(tables: [spec], runId: "r2")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        // Max day was 19060; the buffer re-reads from 19053: ids 53...65.
        #expect(out[0].rowsRead == 13)
        #expect(try f.targetScalar("SELECT count(*) FROM events") == 65)
        #expect(try f.targetScalar("SELECT count(*) FROM events WHERE note = 'late fix'") == 1)
        #expect(try f.targetScalar("SELECT count(*) FROM events WHERE id = 58 AND note = 'late fix'") == 1)
    }

    @Test func lookBackBufferWithoutPrimaryKeyIsAClearError() async throws {
        let f = try ShopFixture()
        let spec = TableSpec(
            name: TableName(name: "logs"), syncMode: .incremental, incrementalColumn: "at", incrementalType: .datetime,
            dateBufferDays: 2)
        _ = await f.engine().run(tables: [TableSpec(name: TableName(name: "logs"))], runId: "r0")
        let out = await f.engine().run(tables: [spec], runId: "r1")
        #expect(out[0].status == .failed)
        #expect(out[0].error?.message.contains("primary_key") == true)
        var withKey = spec
        withKey.primaryKey = ["line"]
        try FileManager.default.removeItem(atPath: f.targetPath)
        _ = await f.engine().run(tables: [TableSpec(name: TableName(name: "logs"), primaryKey: ["line"])], runId: "r2")
        try f.source(
            "INSERT INTO logs VALUES ('later', '2024-01-03 00:00:00'); UPDATE logs SET at = '2024-01-02 12:00:00' WHERE line = 'ready ✓'"
        )
        let again = await f.engine().run(tables: [withKey], runId: "r3")
        #expect(again[0].status == .succeeded, "\(String(describing: again[0].error))")
        try expectSameContents(f, "logs")
    }

    @Test func smartSyncLoadsFullThenIncrementally() async throws {
        let f = try ShopFixture(events: 50)
        let spec = TableSpec(
            name: TableName(name: "events"), syncMode: .smartSync, incrementalColumn: "happened_at",
            incrementalType: .datetime, dateBufferDays: 1, fallbackToFull: true)
        var out = await f.engine().run(tables: [spec], runId: "r1")
        #expect(out[0].modeChosen == "full (target empty)")
        try f.writeSource { db in
            for i in 51...55 { try ShopFixture.insertEvent(db, id: i, day: 19_100) }
        }
        out = await f.engine().run(tables: [spec], runId: "r2")
        #expect(out[0].modeChosen.hasPrefix("incremental"))
        // The look-back re-reads the row at the watermark (id 50) and adds the five new ones.
        #expect(out[0].rowsWritten == 6)
        #expect(try f.targetScalar("SELECT count(*) FROM events") == 55)
        try expectSameContents(f, "events")
    }

    @Test func smartSyncFallsBackToFullWhenIncrementalFails() async throws {
        let f = try ShopFixture(events: 20)
        _ = await f.engine().run(tables: [TableSpec(name: TableName(name: "events"))], runId: "r0")
        // A target that lost its incremental column: incremental cannot run, a full load can.
        try f.writeTarget { db in
            try db.execute(
                sql: "CREATE TABLE t2 AS SELECT id, kind FROM events; DROP TABLE events; "
                    + "CREATE TABLE events (id BIGINT PRIMARY KEY, kind TEXT); INSERT INTO events SELECT * FROM t2; DROP TABLE t2"
            )
        }
        var spec = TableSpec(
            name: TableName(name: "events"), syncMode: .smartSync, incrementalColumn: "day", incrementalType: .date,
            dateBufferDays: 1, fallbackToFull: false)
        var out = await f.engine().run(tables: [spec], runId: "r1")
        #expect(out[0].status == .failed)
        #expect(out[0].error?.message.contains("incremental_column day does not exist in the target") == true)
        spec.fallbackToFull = true
        out = await f.engine().run(tables: [spec], runId: "r2")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        #expect(out[0].modeChosen.hasPrefix("full (fallback"))
        try expectSameContents(f, "events")
    }

    @Test func dryRunChangesNothing() async throws {
        let f = try ShopFixture(events: 10)
        let out = await f.engine(dryRun: true).run(tables: [TableSpec(name: TableName(name: "events"))], runId: "r1")
        #expect(out[0].status == .planned)
        #expect(out[0].plan?.expectedRows == 10)
        #expect(out[0].plan?.writeStatements.contains { $0.hasPrefix("CREATE TABLE") } == true)
        #expect(try f.targetScalar("SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 0)
    }

    @Test func aBrokenTableDoesNotStopTheOthers() async throws {
        let f = try ShopFixture(events: 10)
        let out = await f.engine().run(
            tables: [
                TableSpec(name: TableName(name: "missing_table")), TableSpec(name: TableName(name: "events")),
                TableSpec(name: TableName(name: "logs")),
            ], runId: "r1")
        #expect(out.map(\.status) == [.failed, .succeeded, .succeeded])
        #expect(out[0].error?.code == .schema)
        #expect(out[0].error?.description.contains("missing_table") == true)
    }

    @Test func replacingANonEmptyTargetNeedsConfirmation() async throws {
        let f = try ShopFixture(events: 10)
        let recorder = Recorder()
        let spec = TableSpec(name: TableName(name: "events"))
        var out = await f.engine(force: false, recorder: recorder).run(tables: [spec], runId: "r1")
        #expect(out[0].status == .succeeded)
        #expect(recorder.confirmations.isEmpty)
        out = await f.engine(force: false, recorder: recorder).run(tables: [spec], runId: "r2")
        #expect(out[0].status == .failed)
        #expect(out[0].error?.code == .notConfirmed)
        #expect(out[0].error?.message.contains("--force") == true)
        #expect(recorder.confirmations == ["events"])
        recorder.answer = true
        out = await f.engine(force: false, recorder: recorder).run(tables: [spec], runId: "r3")
        #expect(out[0].status == .succeeded)
    }

    @Test func rowLimitCopiesAtMostThatManyRows() async throws {
        let f = try ShopFixture(events: 100)
        let out = await f.engine().run(tables: [TableSpec(name: TableName(name: "events"), rowLimit: 7)], runId: "r1")
        #expect(out[0].rowsWritten == 7)
        #expect(try f.targetScalar("SELECT count(*) FROM events") == 7)
    }

    @Test func newSourceColumnIsAddedToTheTarget() async throws {
        let f = try ShopFixture(events: 10)
        let spec = TableSpec(
            name: TableName(name: "events"), syncMode: .incremental, incrementalColumn: "id", incrementalType: .identity
        )
        _ = await f.engine().run(tables: [spec], runId: "r1")
        try f.source("ALTER TABLE events ADD COLUMN score DOUBLE")
        try f.writeSource { db in
            try ShopFixture.insertEvent(db, id: 11, day: 19_500)
            try db.execute(sql: "UPDATE events SET score = 2.5 WHERE id = 11")
        }
        let out = await f.engine().run(tables: [spec], runId: "r2")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        #expect(try f.targetScalar("SELECT count(*) FROM events WHERE score = 2.5") == 1)
        #expect(try f.targetScalar("SELECT count(*) FROM events WHERE score IS NULL") == 10)
    }

    @Test func runsAndTableRunsAreRecordedAfterCommit() async throws {
        let f = try ShopFixture(events: 10)
        let store = try StateStore(path: f.dir.file("state/state.db"))
        try store.startRun(
            RunRecord(
                id: "run-1", operation: "replication", configPath: "x", configHash: "h", startedAt: Date(),
                host: "h", user: "u", dryRun: false))
        _ = await f.engine(store: store).run(
            tables: [TableSpec(name: TableName(name: "events")), TableSpec(name: TableName(name: "nope"))],
            runId: "run-1")
        try store.finishRun(id: "run-1", status: "failed", at: Date())
        let runs = try store.tableRuns(runId: "run-1", limit: 10)
        #expect(Set(runs.map(\.table)) == ["events", "nope"])
        #expect(runs.first { $0.table == "events" }?.rowsWritten == 10)
        #expect(runs.first { $0.table == "nope" }?.status == "failed")
        #expect(try store.runs(limit: 5).first?.status == "failed")
        #expect(try store.lastTableRun(table: "events")?.status == "succeeded")
    }
}
