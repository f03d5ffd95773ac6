import FerryCore
import FerryState
import FerryTestKit
import Foundation
import Testing

/// Runs and table runs: what `ferry run` writes and `ferry history` / `ferry status` read back.
@Suite struct RunRecordTests {
    typealias F = StateFixtures

    @Test func aStartedRunReadsBackRunningWithEveryField() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        let run = F.run("r1", at: 0, dryRun: true)
        try store.startRun(run)
        let stored = try #require(try store.run(id: "r1"))
        #expect(stored == run)
        #expect(stored.status == "running")
        #expect(stored.finishedAt == nil)
        #expect(try store.run(id: "nope") == nil)
    }

    @Test func finishingARunRecordsItsStatusAndEndTimeAndNothingElse() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.startRun(F.run("r1", at: 0))
        try store.finishRun(id: "r1", status: "failed", at: F.date(61.25))
        var expected = F.run("r1", at: 0)
        expected.status = "failed"
        expected.finishedAt = F.date(61.25)
        #expect(try store.run(id: "r1") == expected)
        // Finishing a run that was never started changes nothing and fails nothing.
        try store.finishRun(id: "ghost", status: "succeeded", at: F.date(70))
        #expect(try store.runs(limit: 10).map(\.id) == ["r1"])
    }

    @Test func startingARunMarksRunsLeftRunningAsInterrupted() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.startRun(F.run("done", at: 0))
        try store.finishRun(id: "done", status: "succeeded", at: F.date(5))
        try store.startRun(F.run("crashed", at: 10))
        // A process that died leaves "crashed" running; the next run finds it.
        try store.startRun(F.run("next", at: 20))
        #expect(try store.run(id: "crashed")?.status == "interrupted")
        #expect(try store.run(id: "crashed")?.finishedAt == nil)
        #expect(try store.run(id: "done")?.status == "succeeded")
        #expect(try store.run(id: "next")?.status == "running")
    }

    @Test func runsListNewestFirstUpToTheLimit() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        // Started out of order, and two at the same millisecond: the later-recorded one counts as newer.
        for (id, at) in [("b", 20.0), ("a", 10.0), ("d", 40.0), ("c1", 30.0), ("c2", 30.0)] {
            try store.startRun(F.run(id, at: at))
        }
        #expect(try store.runs(limit: 10).map(\.id) == ["d", "c2", "c1", "b", "a"])
        #expect(try store.runs(limit: 2).map(\.id) == ["d", "c2"])
        #expect(try store.runs(limit: 0).isEmpty)
    }

    @Test func aTableRunKeepsEveryField() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.startRun(F.run("r1", at: 0))
        let succeeded = F.tableRun(run: "r1", table: "public.orders", at: 1)
        var failed = F.tableRun(
            run: "r1", table: "users", at: 2.125, watermarkBefore: nil, watermarkAfter: nil, status: "failed",
            error: "column x: a value does not fit numeric(10,2) exactly")
        failed.syncMode = "smart_sync"
        failed.modeChosen = "full (fallback)"
        failed.strategy = "staging_swap"
        failed.rowsRead = 0
        failed.rowsWritten = 0
        failed.bytes = 0
        failed.attempts = 1
        try store.record(succeeded)
        try store.record(failed)
        #expect(try store.tableRuns(limit: 10) == [failed, succeeded])
        #expect(try store.tableRuns(limit: 10).last?.durationSeconds == 2.5)
    }

    @Test func tableRunsFilterByTableAndRunNewestFirstUpToTheLimit() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        for (n, run) in ["r1", "r2"].enumerated() {
            try store.startRun(F.run(run, at: Double(n) * 100))
            for (k, table) in ["users", "orders", "public.items"].enumerated() {
                try store.record(F.tableRun(run: run, table: table, at: Double(n) * 100 + Double(k)))
            }
        }
        func keys(_ records: [TableRunRecord]) -> [String] { records.map { "\($0.runId)/\($0.table)" } }
        #expect(
            keys(try store.tableRuns(limit: 100)) == [
                "r2/public.items", "r2/orders", "r2/users", "r1/public.items", "r1/orders", "r1/users",
            ])
        #expect(keys(try store.tableRuns(table: "orders", limit: 100)) == ["r2/orders", "r1/orders"])
        #expect(keys(try store.tableRuns(table: "orders", limit: 1)) == ["r2/orders"])
        #expect(keys(try store.tableRuns(runId: "r1", limit: 100)) == ["r1/public.items", "r1/orders", "r1/users"])
        #expect(keys(try store.tableRuns(table: "users", runId: "r1", limit: 100)) == ["r1/users"])
        #expect(keys(try store.tableRuns(limit: 2)) == ["r2/public.items", "r2/orders"])
        // Tables are matched by their config name exactly: "items" is not "public.items".
        #expect(try store.tableRuns(table: "items", limit: 100).isEmpty)
        #expect(try store.tableRuns(runId: "r3", limit: 100).isEmpty)
    }

    @Test func theLastTableRunIsTheNewestOfARealRunWithItsWatermarks() throws {
        let dir = TempDirectory("state")
        let store = try StateStore(path: dir.file("state.db"))
        try store.startRun(F.run("r1", at: 0))
        try store.record(F.tableRun(run: "r1", table: "orders", at: 1, watermarkBefore: nil, watermarkAfter: "100"))
        try store.startRun(F.run("r2", at: 10))
        try store.record(F.tableRun(run: "r2", table: "orders", at: 11, watermarkBefore: "100", watermarkAfter: "250"))
        // A dry run plans without writing: its table runs never count as the table's last result.
        try store.startRun(F.run("dry", at: 20, dryRun: true))
        try store.record(F.tableRun(run: "dry", table: "orders", at: 21, watermarkBefore: "250", watermarkAfter: "999"))
        let last = try #require(try store.lastTableRun(table: "orders"))
        #expect(last.runId == "r2")
        #expect(last.watermarkBefore == "100")
        #expect(last.watermarkAfter == "250")
        #expect(try store.lastTableRun(table: "users") == nil)
        // A failed run is the last result all the same, and says so.
        try store.startRun(F.run("r3", at: 30))
        try store.record(
            F.tableRun(
                run: "r3", table: "orders", at: 31, watermarkBefore: "250", watermarkAfter: nil, status: "failed",
                error: "boom"))
        #expect(try store.lastTableRun(table: "orders")?.status == "failed")
        #expect(try store.lastTableRun(table: "orders")?.watermarkAfter == nil)
    }

    @Test func recordsOutliveTheStoreThatWroteThem() throws {
        let dir = TempDirectory("state")
        let path = dir.file("nested/dir/state.db")
        do {
            let store = try StateStore(path: path)
            try store.startRun(F.run("r1", at: 0))
            try store.record(F.tableRun(run: "r1", table: "orders", at: 1))
            try store.finishRun(id: "r1", status: "succeeded", at: F.date(3))
        }
        let reopened = try StateStore(path: path)
        #expect(try reopened.run(id: "r1")?.status == "succeeded")
        #expect(try reopened.tableRuns(limit: 10) == [F.tableRun(run: "r1", table: "orders", at: 1)])
        #expect(try F.appliedMigrations(path) == ["v1", "v2-cdc", "v3-cdc-system-id"])
    }
}
