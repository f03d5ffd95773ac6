import FerryCore
import FerryState
import FerryTestKit
import Foundation
import GRDB
import Testing

/// A newer Ferry opens a store an older one wrote, and loses nothing in it.
///
/// The older stores are built here with the SQL each earlier version ran (the `v1` and `v2-cdc` migrations as
/// they were committed in 70a9d3f and 7a4e9dd, and GRDB's own `grdb_migrations` table), not with today's
/// migrator, so a later edit to an old migration cannot make these tests pass by accident.
@Suite struct MigrationTests {
    typealias F = StateFixtures

    /// Migration `v1` (70a9d3f): runs and table runs.
    static let v1 = """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY, operation TEXT NOT NULL, config_path TEXT NOT NULL,
            config_hash TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
            status TEXT NOT NULL, host TEXT NOT NULL, user TEXT NOT NULL, dry_run INTEGER NOT NULL);
        CREATE TABLE table_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            table_name TEXT NOT NULL, sync_mode TEXT NOT NULL, mode_chosen TEXT NOT NULL,
            strategy TEXT NOT NULL, rows_read INTEGER NOT NULL, rows_written INTEGER NOT NULL,
            bytes INTEGER NOT NULL, watermark_before TEXT, watermark_after TEXT,
            started_at TEXT NOT NULL, finished_at TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
            attempts INTEGER NOT NULL);
        CREATE INDEX table_runs_table ON table_runs(table_name, id);
        CREATE INDEX runs_started ON runs(started_at);
        """

    /// Migration `v2-cdc` (7a4e9dd): CDC pipelines without `system_id`, and table positions.
    static let v2 = """
        CREATE TABLE cdc_pipelines (
            slot_name TEXT PRIMARY KEY, publication TEXT NOT NULL, status TEXT NOT NULL,
            applied_through INTEGER, last_commit_at TEXT, updated_at TEXT NOT NULL);
        CREATE TABLE cdc_tables (
            slot_name TEXT NOT NULL, table_name TEXT NOT NULL, position INTEGER NOT NULL,
            last_commit_at TEXT, changes_applied INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
            PRIMARY KEY (slot_name, table_name));
        """

    /// What GRDB's migrator keeps besides the migrations' own tables.
    static let grdbMigrations = "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)"

    /// Rows as Ferry 70a9d3f wrote them: a finished run, a dry run, one left running by a crash, and their
    /// table runs (watermarks set and unset, an error).
    static let v1Rows = """
        INSERT INTO runs VALUES
            ('r1', 'run', '/etc/ferry/a.yaml', 'sha256:a', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.500Z',
             'succeeded', 'host-a', 'ops', 0),
            ('dry', 'run', '/etc/ferry/a.yaml', 'sha256:a', '2026-01-01T00:02:00.000Z', '2026-01-01T00:02:01.000Z',
             'succeeded', 'host-a', 'ops', 1),
            ('r2', 'run', '/etc/ferry/a.yaml', 'sha256:b', '2026-01-01T00:03:00.000Z', NULL,
             'running', 'host-b', 'ops', 0);
        INSERT INTO table_runs (run_id, table_name, sync_mode, mode_chosen, strategy, rows_read, rows_written, bytes,
            watermark_before, watermark_after, started_at, finished_at, status, error, attempts) VALUES
            ('r1', 'orders', 'incremental', 'incremental', 'simple_copy', 1234, 1230, 9876543210, '41', '42',
             '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:03.500Z', 'succeeded', NULL, 3),
            ('r1', 'users', 'smart_sync', 'full (fallback)', 'staging_swap', 0, 0, 0, NULL, NULL,
             '2026-01-01T00:00:02.125Z', '2026-01-01T00:00:04.625Z', 'failed', 'column x: boom', 1),
            ('dry', 'orders', 'incremental', 'incremental', 'simple_copy', 0, 0, 0, '42', '42',
             '2026-01-01T00:02:00.000Z', '2026-01-01T00:02:01.000Z', 'succeeded', NULL, 1);
        """

    /// Rows as Ferry 7a4e9dd wrote them: a streaming pipeline at a position past the signed range, one still
    /// creating, and table positions.
    static let v2Rows = """
        INSERT INTO cdc_pipelines VALUES
            ('ferry_main', 'ferry_pub', 'streaming', -8, '2026-01-01T00:05:00.250Z', '2026-01-01T00:05:01.000Z'),
            ('ferry_new', 'ferry_pub2', 'creating', NULL, NULL, '2026-01-01T00:06:00.000Z');
        INSERT INTO cdc_tables VALUES
            ('ferry_main', 'public.orders', -8, '2026-01-01T00:05:00.250Z', 17, '2026-01-01T00:05:01.000Z'),
            ('ferry_main', 'public.users', 97500000, NULL, 0, '2026-01-01T00:04:00.000Z');
        """

    /// A store as Ferry wrote it after `migrations` (each with its SQL and its rows).
    static func oldStore(_ path: String, _ migrations: [(id: String, sql: String, rows: String)]) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: grdbMigrations)
            for m in migrations {
                try db.inTransaction {
                    try db.execute(sql: m.sql)
                    try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [m.id])
                    return .commit
                }
                try db.execute(sql: m.rows)
            }
        }
    }

    static func v1Store(_ path: String) throws { try oldStore(path, [("v1", v1, v1Rows)]) }

    static func v2Store(_ path: String) throws {
        try oldStore(path, [("v1", v1, v1Rows), ("v2-cdc", v2, v2Rows)])
    }

    /// The runs and table runs of `v1Rows`, as the current records.
    static var v1Runs: [RunRecord] {
        [
            F.run("r2", at: 180, status: "running"),
            F.run("dry", at: 120, status: "succeeded", finishedAt: F.date(121), dryRun: true),
            F.run("r1", at: 0, status: "succeeded", finishedAt: F.date(60.5)),
        ].map { run in
            var run = run
            run.configPath = "/etc/ferry/a.yaml"
            run.configHash = run.id == "r2" ? "sha256:b" : "sha256:a"
            run.host = run.id == "r2" ? "host-b" : "host-a"
            return run
        }
    }

    static var v1TableRuns: [TableRunRecord] {
        var users = F.tableRun(
            run: "r1", table: "users", at: 2.125, watermarkBefore: nil, watermarkAfter: nil, status: "failed",
            error: "column x: boom")
        users.syncMode = "smart_sync"
        users.modeChosen = "full (fallback)"
        users.strategy = "staging_swap"
        (users.rowsRead, users.rowsWritten, users.bytes, users.attempts) = (0, 0, 0, 1)
        var dry = F.tableRun(run: "dry", table: "orders", at: 120, watermarkBefore: "42", watermarkAfter: "42")
        dry.finishedAt = F.date(121)
        (dry.rowsRead, dry.rowsWritten, dry.bytes, dry.attempts) = (0, 0, 0, 1)
        return [dry, users, F.tableRun(run: "r1", table: "orders", at: 1)]
    }

    func expectV1RowsKept(_ store: StateStore) throws {
        #expect(try store.runs(limit: 10) == Self.v1Runs)
        #expect(try store.tableRuns(limit: 10) == Self.v1TableRuns)
        #expect(try store.lastTableRun(table: "orders") == Self.v1TableRuns.last)
    }

    @Test func aVersion1StoreKeepsItsRunsAndLearnsCDC() throws {
        let dir = TempDirectory("state")
        let path = dir.file("v1.db")
        try Self.v1Store(path)
        let store = try StateStore(path: path)
        try expectV1RowsKept(store)
        #expect(try F.appliedMigrations(path) == ["v1", "v2-cdc", "v3-cdc-system-id"])
        // The tables later versions added work as in a new store.
        #expect(try store.cdcPipeline(slot: "ferry_main") == nil)
        let p = CDCPipelineRecord(
            slotName: "ferry_main", publication: "p", status: .streaming, appliedThrough: LSN(rawValue: 9),
            lastCommitAt: nil, systemId: "7311", updatedAt: F.date(1))
        try store.saveCDCPipeline(p)
        #expect(try store.cdcPipeline(slot: "ferry_main") == p)
        // And new runs go on from the old ones: the run left running is now known to be interrupted.
        try store.startRun(F.run("r3", at: 300))
        #expect(try store.run(id: "r2")?.status == "interrupted")
        #expect(try store.runs(limit: 10).map(\.id) == ["r3", "r2", "dry", "r1"])
    }

    @Test func aVersion2StoreKeepsItsPipelinesAndPositionsWithNoSystemId() throws {
        let dir = TempDirectory("state")
        let path = dir.file("v2.db")
        try Self.v2Store(path)
        let store = try StateStore(path: path)
        try expectV1RowsKept(store)
        #expect(try F.appliedMigrations(path) == ["v1", "v2-cdc", "v3-cdc-system-id"])
        let main = CDCPipelineRecord(
            slotName: "ferry_main", publication: "ferry_pub", status: .streaming,
            appliedThrough: LSN(rawValue: UInt64.max - 7), lastCommitAt: F.date(300.25), systemId: nil,
            updatedAt: F.date(301))
        #expect(try store.cdcPipeline(slot: "ferry_main") == main)
        #expect(
            try store.cdcPipeline(slot: "ferry_new")
                == CDCPipelineRecord(
                    slotName: "ferry_new", publication: "ferry_pub2", status: .creating, appliedThrough: nil,
                    lastCommitAt: nil, systemId: nil, updatedAt: F.date(360)))
        #expect(
            try store.cdcTables(slot: "ferry_main").sorted { $0.table < $1.table } == [
                CDCTableRecord(
                    slotName: "ferry_main", table: "public.orders", position: LSN(rawValue: UInt64.max - 7),
                    lastCommitAt: F.date(300.25), changesApplied: 17, updatedAt: F.date(301)),
                CDCTableRecord(
                    slotName: "ferry_main", table: "public.users", position: LSN(rawValue: 97_500_000),
                    lastCommitAt: nil, changesApplied: 0, updatedAt: F.date(240)),
            ])
        // The pipeline learns its cluster on the next save, and keeps everything else.
        var learned = main
        learned.systemId = "7311234567890123456"
        try store.saveCDCPipeline(learned)
        #expect(try store.cdcPipeline(slot: "ferry_main") == learned)
    }

    @Test(arguments: ["v1", "v2"])
    func aMigratedStoreHasTheSchemaOfANewOne(version: String) throws {
        let dir = TempDirectory("state")
        let old = dir.file("old.db")
        try version == "v1" ? Self.v1Store(old) : Self.v2Store(old)
        _ = try StateStore(path: old)
        _ = try StateStore(path: dir.file("new.db"))
        let migrated = try F.schema(old)
        let fresh = try F.schema(dir.file("new.db"))
        #expect(migrated == fresh)
        #expect(fresh["cdc_pipelines"]?.contains("system_id TEXT 0 - 0") == true)
    }

    @Test func openingAMigratedStoreAgainChangesNothing() throws {
        let dir = TempDirectory("state")
        let path = dir.file("v2.db")
        try Self.v2Store(path)
        _ = try StateStore(path: path)
        let schema = try F.schema(path)
        let store = try StateStore(path: path)
        try expectV1RowsKept(store)
        #expect(try F.schema(path) == schema)
        #expect(try F.appliedMigrations(path) == ["v1", "v2-cdc", "v3-cdc-system-id"])
    }
}
