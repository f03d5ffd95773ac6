import FerryTestKit
import Foundation
import Testing

/// The CLI's surface through the built binary: help with examples, `--json` everywhere, `--table` by short name,
/// one set of exit codes, `--log-format json` honoured, and the cdc widening note.
@Suite struct CLISurfaceTests {
    static let commands = [
        "quickstart", "run", "validate", "status", "history", "vacuum", "cleanup", "simulate", "version",
    ]

    /// A SQLite shop (`events`, `tags`) and a config naming `public.events` (SQLite ignores the schema) and `tags`.
    struct Shop {
        let dir = TempDirectory("ferry-surface")
        var config: String { dir.file("ferry.yaml") }

        init(target: String = "{type: sqlite, path: ./copy.db}", state: String = "") throws {
            try CLITests.makeShop(dir.file("shop.db"))
            let text = """
                databases:
                  source: {type: sqlite, path: ./shop.db}
                  target: \(target)
                \(state)
                tables:
                  - {name: public.events}
                  - {name: tags}
                settings: {confirm: false}

                """
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }

        func ferry(_ args: [String], environment: [String: String] = [:]) throws -> FerryBinary.Result {
            try FerryBinary.run(args + ["--config", config], environment: environment)
        }
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func everyCommandsHelpShowsAWorkedExample() throws {
        for command in Self.commands {
            let r = try FerryBinary.run([command, "--help"])
            #expect(r.status == 0, "\(command): \(r.stderr)")
            #expect(r.stdout.contains("Examples:"), "\(command) --help: \(r.stdout)")
            let lines = r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.contains { $0.hasPrefix("ferry \(command)") }, "\(command) --help has no example line")
        }
        let top = try FerryBinary.run(["--help"])
        // Help is wrapped to the terminal's width: compare with every run of whitespace as one space.
        let words = top.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("Examples:"))
        for code in ["0 success", "1 a table or check failed", "2 bad usage or config", "3 declined", "4 the state"] {
            #expect(words.contains(code), "ferry --help does not explain exit code \(code)")
        }
    }

    @Test func completionScriptsAreGeneratedForBashZshAndFish() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try FerryBinary.run(["--generate-completion-script", shell])
            #expect(r.status == 0, "\(shell): \(r.stderr)")
            #expect(r.stdout.contains("history") && r.stdout.contains("--table"), "\(shell)")
        }
    }

    @Test func historyTableTakesTheShortNameAndRepeats() throws {
        let shop = try Shop()
        for _ in 0..<2 { #expect(try shop.ferry(["run"]).status == 0) }
        let short = try shop.ferry(["history", "--table", "events", "--json"])
        #expect(short.status == 0, "\(short.stderr)")
        let runs = try Self.json(short.stdout) as? [[String: Any]]
        #expect(runs?.count == 2)
        #expect(
            runs?.allSatisfy { $0["table"] as? String == "public.events" && $0["rows_written"] as? Int == 50 } == true)
        let both = try Self.json(try shop.ferry(["history", "--table", "events", "--table", "tags", "--json"]).stdout)
        #expect((both as? [[String: Any]])?.count == 4)
        let text = try shop.ferry(["history", "--table", "public.events"])
        #expect(text.stdout.contains("public.events") && !text.stdout.contains("tags"), "\(text.stdout)")
    }

    @Test func anUnknownTableExitsTwoWithTheClosestNameOnEveryCommandThatTakesTable() throws {
        let shop = try Shop()
        let lake = try Shop(target: "{type: delta, path: ./lake}")
        // simulate needs a PostgreSQL source; the name is checked before any connection.
        let pg = TempDirectory("ferry-surface")
        try """
        databases:
          source: {type: postgres, host: 127.0.0.1, port: 1, database: prod}
          target: {type: sqlite, path: ./copy.db}
        tables: [{name: public.events, sync_mode: cdc}, {name: tags}]
        """.write(toFile: pg.file("pg.yaml"), atomically: true, encoding: .utf8)
        let runs: [(String, String, [String: String])] = [
            ("run", shop.config, [:]), ("status", shop.config, [:]), ("history", shop.config, [:]),
            ("vacuum", lake.config, [:]), ("simulate", pg.file("pg.yaml"), ["SOURCE_DB_USER": "nobody"]),
        ]
        for (command, config, env) in runs {
            let near = try FerryBinary.run([command, "--config", config, "--table", "evnts"], environment: env)
            #expect(near.status == 2, "\(command): \(near.stderr)")
            #expect(near.stderr.contains("did you mean 'events'"), "\(command): \(near.stderr)")
            let far = try FerryBinary.run(
                [command, "--config", config, "--table", "tags", "--table", "nope"], environment: env)
            #expect(far.status == 2, "\(command): \(far.stderr)")
            #expect(far.stderr.contains("--table nope is not in"), "\(command): \(far.stderr)")
            #expect(far.stderr.contains("public.events, tags"), "\(command): \(far.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: shop.dir.file("copy.db")))
    }

    @Test func statusTableShowsOnlyTheNamedTables() throws {
        let shop = try Shop()
        #expect(try shop.ferry(["run"]).status == 0)
        let one = try shop.ferry(["status", "--table", "tags", "--json"])
        #expect(one.status == 0, "\(one.stderr)")
        let tables = try Self.json(one.stdout) as? [[String: Any]]
        #expect(tables?.map { $0["table"] as? String } == ["tags"])
        #expect(tables?.first?["source_rows"] as? Int == 2 && tables?.first?["target_rows"] as? Int == 2)
        #expect(tables?.first?["last_result"] as? String == "succeeded")
        let text = try shop.ferry(["status", "--table", "events"])
        #expect(text.stdout.contains("public.events") && !text.stdout.contains("tags"), "\(text.stdout)")
    }

    @Test func statusAndHistoryDatesAreTheSameISO8601Text() throws {
        let shop = try Shop()
        #expect(try shop.ferry(["run"]).status == 0)
        let status = try Self.json(try shop.ferry(["status", "--table", "tags", "--json"]).stdout) as? [[String: Any]]
        let history =
            try Self.json(try shop.ferry(["history", "--table", "tags", "--json"]).stdout) as? [[String: Any]]
        let lastRun = try #require(status?.first?["last_run_at"] as? String)
        #expect(lastRun == history?.first?["finished_at"] as? String)
        #expect(lastRun.count == 24 && lastRun.hasSuffix("Z") && lastRun.contains("T"), "\(lastRun)")
    }

    @Test func runJsonIsOneDocumentWithEveryTableAndItsPlanInADryRun() throws {
        let shop = try Shop()
        let plan = try shop.ferry(["run", "--dry-run", "--json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = try Self.json(plan.stdout) as? [String: Any]
        #expect(planned?["dry_run"] as? Bool == true)
        let plans = planned?["tables"] as? [[String: Any]]
        #expect(plans?.count == 2)
        #expect((plans?.first?["plan"] as? [String: Any])?["expected_rows"] as? Int == 50)
        let run = try shop.ferry(["run", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout) as? [String: Any]
        #expect(report?["succeeded"] as? Int == 2 && report?["failed"] as? Int == 0)
        let tables = report?["tables"] as? [[String: Any]]
        #expect(tables?.map { $0["table"] as? String } == ["public.events", "tags"])
        #expect(tables?.first?["rows_written"] as? Int == 50)
    }

    @Test func validateJsonSaysValidAndListsTablesOrGivesTheError() throws {
        let shop = try Shop()
        let ok = try shop.ferry(["validate", "--json", "--check-connections"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let report = try Self.json(ok.stdout) as? [String: Any]
        #expect(report?["valid"] as? Bool == true)
        let tables = report?["tables"] as? [[String: Any]]
        #expect(tables?.map { $0["table"] as? String } == ["public.events", "tags"])
        #expect(tables?.first?["columns"] as? Int == 4)

        try "databases: {source: {type: sqlite, path: a.db}}\ntables: [{name: t, sync_mod: cdc}]\n".write(
            toFile: shop.dir.file("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try FerryBinary.run(["validate", "--config", shop.dir.file("bad.yaml"), "--json"])
        #expect(bad.status == 2)
        let error = try Self.json(bad.stdout) as? [String: Any]
        #expect(error?["valid"] as? Bool == false)
        #expect((error?["error"] as? String)?.contains("bad.yaml:") == true, "\(bad.stdout)")

        // A table the source lacks is a failed check (1), not a bad config (2).
        let missing = try Shop()
        try """
        databases:
          source: {type: sqlite, path: ./shop.db}
          target: {type: sqlite, path: ./copy.db}
        tables: [{name: tags}, {name: nope}]
        """.write(toFile: missing.config, atomically: true, encoding: .utf8)
        let failed = try missing.ferry(["validate", "--json", "--check-connections"])
        #expect(failed.status == 1, "\(failed.stderr)")
        let checked = try Self.json(failed.stdout) as? [String: Any]
        #expect(checked?["valid"] as? Bool == false)
        #expect((checked?["tables"] as? [[String: Any]])?.last?["error"] != nil)
    }

    @Test func vacuumJsonListsTheFilesRemovedPerTable() throws {
        let lake = try Shop(target: "{type: delta, path: ./lake}")
        for _ in 0..<2 { #expect(try lake.ferry(["run"]).status == 0) }
        let r = try lake.ferry(["vacuum", "--retention-hours", "0", "--json", "--table", "events"])
        #expect(r.status == 0, "\(r.stderr)")
        let tables = try Self.json(r.stdout) as? [[String: Any]]
        #expect(tables?.count == 1)
        let removed = tables?.first?["removed"] as? [String] ?? []
        #expect(!removed.isEmpty && tables?.first?["exists"] as? Bool == true, "\(r.stdout)")
        for file in removed {
            #expect(!FileManager.default.fileExists(atPath: lake.dir.file("lake/events/\(file)")), "\(file)")
        }
    }

    @Test func aStateStorePathThatIsADirectoryExitsFourNamingIt() throws {
        let shop = try Shop(state: "state: {path: ./store}")
        try FileManager.default.createDirectory(atPath: shop.dir.file("store"), withIntermediateDirectories: true)
        for command in ["run", "status", "history"] {
            let r = try shop.ferry([command])
            #expect(r.status == 4, "\(command): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("state store") && r.stderr.contains("store"), "\(command): \(r.stderr)")
            #expect(!r.stdout.contains("never"), "\(command) showed a table as never run: \(r.stdout)")
        }
    }

    @Test func logFormatJsonOnStatusAndHistoryWritesOnlyJSONLinesOnStderr() throws {
        let shop = try Shop()
        #expect(try shop.ferry(["run"]).status == 0)
        // Successful calls, a refused --table, and an unreadable table (status notes it).
        try FileManager.default.removeItem(atPath: shop.dir.file("copy.db"))
        let calls: [[String]] = [
            ["status"], ["history"], ["status", "--table", "nope"], ["history", "--table", "nope"],
            ["status", "--json"], ["history", "--json"],
        ]
        for args in calls {
            let r = try shop.ferry(args + ["--log-format", "json"])
            for line in r.stderr.split(separator: "\n") {
                let object = try? Self.json(String(line)) as? [String: Any]
                #expect(object?["level"] != nil && object?["message"] != nil, "\(args): a text line on stderr: \(line)")
            }
            if args.contains("nope") {
                #expect(r.status == 2 && r.stderr.contains(#""level":"error""#), "\(args): \(r.stderr)")
            }
        }
    }

    /// Needs PostgreSQL: two cdc tables share a slot, so naming one runs both, with a note; cleanup without a
    /// terminal and without --force drops nothing and exits 3.
    @Test func tableOnACDCTableWidensTheRunWithANoteAndCleanupWithoutForceDeclines() throws {
        let s = try CDCCommandTests.Setup(
            tables: "  - {name: public.one, sync_mode: cdc}\n  - {name: public.two, sync_mode: cdc}")
        _ = try s.sql(
            """
            CREATE TABLE one (id bigint PRIMARY KEY, v integer); INSERT INTO one VALUES (1, 1);
            CREATE TABLE two (id bigint PRIMARY KEY, v integer); INSERT INTO two VALUES (1, 1);
            """)
        let dry = try s.ferry(["run", "--dry-run", "--table", "one"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(
            dry.stderr.contains("note: --table public.one is a cdc table; the run also covers public.two"),
            "\(dry.stderr)")
        #expect(dry.stdout.contains("[public.one]") && dry.stdout.contains("[public.two]"), "\(dry.stdout)")
        let both = try s.ferry(["run", "--dry-run", "--table", "one", "--table", "two"])
        #expect(!both.stderr.contains("note:"), "naming every cdc table widens nothing: \(both.stderr)")

        #expect(try s.ferry(["run"]).status == 0)
        let slotExists = "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(s.slot)'"
        #expect(try s.sql(slotExists) == "1")
        let declined = try s.ferry(["cleanup"])
        #expect(declined.status == 3, "\(declined.stderr)")
        #expect(declined.stderr.contains("--force"), "\(declined.stderr)")
        #expect(try s.sql(slotExists) == "1")
        #expect(try s.sql("SELECT count(*) FROM pg_publication WHERE pubname = '\(s.slot)_pub'") == "1")
        let status = try s.ferry(["status", "--json"])
        let tables = try Self.json(status.stdout) as? [[String: Any]]
        #expect(tables?.allSatisfy { ($0["watermark"] as? String)?.contains("/") == true } == true, "\(status.stdout)")
        let slot = tables?.first?["slot"] as? [String: Any]
        #expect(slot?["exists"] as? Bool == true && slot?["slot"] as? String == s.slot, "\(status.stdout)")
        #expect(slot?["wal_retained_bytes"] is Int && slot?["lag_bytes"] is Int, "\(status.stdout)")

        let forced = try s.ferry(["cleanup", "--force", "--json"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let report = try Self.json(forced.stdout) as? [String: Any]
        #expect(report?["slot_existed"] as? Bool == true && report?["positions_forgotten"] as? Bool == true)
        #expect(try s.sql(slotExists) == "0")
    }
}
