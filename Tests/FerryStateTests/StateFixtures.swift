import FerryCore
import FerryState
import FerryTestKit
import Foundation
import GRDB

/// Records with every field set to something other than its default, and times the store keeps exactly.
enum StateFixtures {
    /// 2026-01-01T00:00:00Z plus `seconds`; the store keeps milliseconds, so fixtures use whole milliseconds.
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_767_225_600 + seconds) }

    static func run(
        _ id: String, at seconds: Double, status: String = "running", finishedAt: Date? = nil, dryRun: Bool = false
    ) -> RunRecord {
        RunRecord(
            id: id, operation: "run", configPath: "/etc/ferry/\(id).yaml", configHash: "sha256:\(id)",
            startedAt: date(seconds), finishedAt: finishedAt, status: status, host: "host-\(id)", user: "ops",
            dryRun: dryRun)
    }

    static func tableRun(
        run: String, table: String, at seconds: Double, watermarkBefore: String? = "41",
        watermarkAfter: String? = "42", status: String = "succeeded", error: String? = nil
    ) -> TableRunRecord {
        TableRunRecord(
            runId: run, table: table, syncMode: "incremental", modeChosen: "incremental", strategy: "simple_copy",
            rowsRead: 1_234, rowsWritten: 1_230, bytes: 9_876_543_210, watermarkBefore: watermarkBefore,
            watermarkAfter: watermarkAfter, startedAt: date(seconds), finishedAt: date(seconds + 2.5),
            status: status, error: error, attempts: 3)
    }

    /// The tables of the store at `path` with their columns (name, type, NOT NULL, default, primary key position)
    /// and their indexes, for comparing a migrated store with a fresh one.
    static func schema(_ path: String) throws -> [String: [String]] {
        try DatabaseQueue(path: path).read { db in
            var tables: [String: [String]] = [:]
            let names = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            for name in names {
                let columns = try Row.fetchAll(
                    db, sql: "SELECT * FROM pragma_table_info(?) ORDER BY cid", arguments: [name]
                )
                .map { row -> String in
                    let fields: [String] = [
                        row["name"], row["type"], "\(row["notnull"] as Int)", row["dflt_value"] ?? "-",
                        "\(row["pk"] as Int)",
                    ]
                    return fields.joined(separator: " ")
                }
                let indexes = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name",
                    arguments: [name]
                ).map { "index \($0)" }
                tables[name] = columns + indexes
            }
            return tables
        }
    }

    /// The migrations recorded in the store at `path`, in the order GRDB's migrator applied them.
    static func appliedMigrations(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }
}
