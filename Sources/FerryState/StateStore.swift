public import FerryCore
public import Foundation
import GRDB

/// The embedded SQLite file holding runs, table runs and CDC positions: the default `RunRecorder`.
///
/// Written only after a target has committed, so what it says never runs ahead of the data. Its schema is
/// versioned with migrations, so a newer Ferry opens an older store.
public final class StateStore: Sendable {
    private let queue: DatabaseQueue
    public let path: String

    public init(path: String) throws(FerryError) {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        do {
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        } catch {
            throw FerryError(
                .io,
                "cannot create the directory \(dir) for the state store \(path): \(error.localizedDescription); "
                    + "check that no file is in the way and that this user may write there, or point state.path in "
                    + "the config elsewhere")
        }
        do {
            var config = Configuration()
            config.busyMode = .timeout(30)
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch {
            throw Self.failure(error, path: path, while: nil)
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
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
                    """)
        }
        m.registerMigration("v2-cdc") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cdc_pipelines (
                        slot_name TEXT PRIMARY KEY, publication TEXT NOT NULL, status TEXT NOT NULL,
                        applied_through INTEGER, last_commit_at TEXT, updated_at TEXT NOT NULL);
                    CREATE TABLE cdc_tables (
                        slot_name TEXT NOT NULL, table_name TEXT NOT NULL, position INTEGER NOT NULL,
                        last_commit_at TEXT, changes_applied INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
                        PRIMARY KEY (slot_name, table_name));
                    """)
        }
        m.registerMigration("v3-cdc-system-id") { db in
            try db.execute(sql: "ALTER TABLE cdc_pipelines ADD COLUMN system_id TEXT")
        }
        return m
    }

    func writeDB<T>(_ what: String, _ body: @escaping (Database) throws -> T) throws(FerryError) -> T {
        try write(what, body)
    }

    func readDB<T>(_ what: String, _ body: @escaping (Database) throws -> T) throws(FerryError) -> T {
        try read(what, body)
    }

    private func write<T>(_ what: String, _ body: @escaping (Database) throws -> T) throws(FerryError) -> T {
        do {
            return try queue.write(body)
        } catch {
            throw Self.failure(error, path: path, while: what)
        }
    }

    private func read<T>(_ what: String, _ body: @escaping (Database) throws -> T) throws(FerryError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw Self.failure(error, path: path, while: what)
        }
    }

    static func text(_ date: Date) -> String { ISO8601.string(date) }

    /// Records the start of a run; runs left `running` by a crashed process are marked `interrupted`.
    public func startRun(_ run: RunRecord) throws(FerryError) {
        try write("recording the run start") { db in
            try db.execute(sql: "UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            try db.execute(
                sql: """
                    INSERT INTO runs (id, operation, config_path, config_hash, started_at, status, host, user, dry_run)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.id, run.operation, run.configPath, run.configHash, Self.text(run.startedAt), run.status,
                    run.host, run.user, run.dryRun,
                ])
        }
    }

    public func finishRun(id: String, status: String, at date: Date) throws(FerryError) {
        try write("recording the run end") { db in
            try db.execute(
                sql: "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                arguments: [status, Self.text(date), id])
        }
    }

    public func record(_ t: TableRunRecord) throws(FerryError) {
        try write("recording table \(t.table)") { db in
            try db.execute(
                sql: """
                    INSERT INTO table_runs (run_id, table_name, sync_mode, mode_chosen, strategy, rows_read,
                        rows_written, bytes, watermark_before, watermark_after, started_at, finished_at, status,
                        error, attempts)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    t.runId, t.table, t.syncMode, t.modeChosen, t.strategy, t.rowsRead, t.rowsWritten, t.bytes,
                    t.watermarkBefore, t.watermarkAfter, Self.text(t.startedAt), Self.text(t.finishedAt), t.status,
                    t.error, t.attempts,
                ])
        }
    }

    /// The most recent runs, newest first.
    public func runs(limit: Int) throws(FerryError) -> [RunRecord] {
        try read("listing runs") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?", arguments: [limit]
            )
            .map(Self.run)
        }
    }

    public func run(id: String) throws(FerryError) -> RunRecord? {
        try read("reading run \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(Self.run)
        }
    }

    /// Table runs, newest first, optionally for one table (matched by its config name).
    public func tableRuns(table: String? = nil, runId: String? = nil, limit: Int) throws(FerryError) -> [TableRunRecord]
    {
        try read("listing table runs") { db in
            var sql = "SELECT * FROM table_runs"
            var clauses: [String] = []
            var args: [(any DatabaseValueConvertible)?] = []
            if let table {
                clauses.append("table_name = ?")
                args.append(table)
            }
            if let runId {
                clauses.append("run_id = ?")
                args.append(runId)
            }
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY id DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.tableRun)
        }
    }

    /// The last non-dry-run result for `table`.
    public func lastTableRun(table: String) throws(FerryError) -> TableRunRecord? {
        try read("reading the last run of \(table)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT t.* FROM table_runs t JOIN runs r ON r.id = t.run_id
                    WHERE t.table_name = ? AND r.dry_run = 0 ORDER BY t.id DESC LIMIT 1
                    """, arguments: [table]
            ).map(Self.tableRun)
        }
    }

    static func run(_ row: Row) -> RunRecord {
        RunRecord(
            id: row["id"], operation: row["operation"], configPath: row["config_path"], configHash: row["config_hash"],
            startedAt: ISO8601.date(row["started_at"]) ?? .distantPast,
            finishedAt: (row["finished_at"] as String?).flatMap(ISO8601.date), status: row["status"],
            host: row["host"], user: row["user"], dryRun: row["dry_run"])
    }

    static func tableRun(_ row: Row) -> TableRunRecord {
        TableRunRecord(
            runId: row["run_id"], table: row["table_name"], syncMode: row["sync_mode"], modeChosen: row["mode_chosen"],
            strategy: row["strategy"], rowsRead: row["rows_read"], rowsWritten: row["rows_written"],
            bytes: row["bytes"],
            watermarkBefore: row["watermark_before"], watermarkAfter: row["watermark_after"],
            startedAt: ISO8601.date(row["started_at"]) ?? .distantPast,
            finishedAt: ISO8601.date(row["finished_at"]) ?? .distantPast, status: row["status"], error: row["error"],
            attempts: row["attempts"])
    }
}

extension StateStore: RunRecorder {
    /// The file's path.
    public var location: String { path }
}
