import FerryTestKit
import Foundation
import GRDB
import Testing

/// Drives the built `ferry` binary the way a user does.
@Suite struct CLITests {
    static func makeShop(_ path: String, events: Int = 50) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount DECIMAL(10,2), at TIMESTAMPTZ NOT NULL);
                    CREATE TABLE tags (tag TEXT PRIMARY KEY, n INT);
                    INSERT INTO tags VALUES ('a', 1), ('b', NULL);
                    """)
            let stmt = try db.makeStatement(sql: "INSERT INTO events VALUES (?, ?, ?, ?)")
            for i in 1...events {
                try stmt.execute(arguments: [
                    i, "k\(i % 4)", "\(i).25", "2024-01-01 00:00:\(String(format: "%02d", i % 60))+00:00",
                ])
            }
        }
        try q.close()
    }

    static func config(_ dir: TempDirectory, tables: String, settings: String = "{confirm: false}") throws -> String {
        let text = """
            databases:
              source: {type: sqlite, path: ./shop.db}
              target: {type: sqlite, path: ./copy.db}
            tables:
            \(tables)
            settings: \(settings)

            """
        try text.write(toFile: dir.file("ferry.yaml"), atomically: true, encoding: .utf8)
        return dir.file("ferry.yaml")
    }

    static func count(_ path: String, _ sql: String) throws -> Int {
        try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    @Test func versionPrintsTheVersion() throws {
        let r = try FerryBinary.run(["version"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("ferry "))
    }

    @Test func quickstartCreatesAndReplicatesTheDemoShop() throws {
        let dir = TempDirectory("ferry-cli")
        var r = try FerryBinary.run(["quickstart", "--dir", dir.file("qs")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("4 of 4 table(s) succeeded"))
        let lakeCount =
            "import sys; from deltalake import DeltaTable; print(DeltaTable(sys.argv[1]).to_pyarrow_table().num_rows)"
        for table in ["customers", "products", "orders", "order_items"] {
            let source = try Self.count(dir.file("qs/shop.db"), "SELECT count(*) FROM \(table)")
            #expect(source > 100)
            let lake = try Python.run(lakeCount, [dir.file("qs/lake/\(table)")])
            #expect(lake.trimmingCharacters(in: .whitespacesAndNewlines) == String(source), "\(table)")
        }
        r = try FerryBinary.run(["quickstart", "--dir", dir.file("qs")])
        #expect(r.status == 0, "\(r.stderr)")
        let orders = try Python.run(lakeCount, [dir.file("qs/lake/orders")])
        #expect(orders.trimmingCharacters(in: .whitespacesAndNewlines) == "2025")
        let history = try FerryBinary.run([
            "history", "--config", dir.file("qs/ferry.yaml"), "--json", "--table", "orders",
        ])
        let runs = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]
        #expect(runs?.count == 2)
        #expect(runs?.first?["rows_written"] as? Int == 25)
        let status = try FerryBinary.run(["status", "--config", dir.file("qs/ferry.yaml"), "--json"])
        let tables = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]]
        #expect(tables?.count == 4)
        #expect(tables?.allSatisfy { ($0["source_rows"] as? Int) == ($0["target_rows"] as? Int) } == true)
        #expect(tables?.first { $0["table"] as? String == "orders" }?["watermark"] as? String == "2025")
    }

    @Test func malformedYAMLExitsTwoWithALocatedOneLineError() throws {
        let dir = TempDirectory("ferry-cli")
        try "databases:\n  source: {type: sqlite, path: a.db\n".write(
            toFile: dir.file("bad.yaml"), atomically: true, encoding: .utf8)
        let r = try FerryBinary.run(["run", "--config", dir.file("bad.yaml")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.yaml:"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func unknownKeyExitsTwoNamingKeyAndLine() throws {
        let dir = TempDirectory("ferry-cli")
        let path = try Self.config(dir, tables: "  - {name: events, sync_mod: full_replace}")
        let r = try FerryBinary.run(["validate", "--config", path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("ferry.yaml:5:"))
        #expect(r.stderr.contains("did you mean 'sync_mode'"))
    }

    @Test func credentialsMustComeFromTheEnvironment() throws {
        let dir = TempDirectory("ferry-cli")
        let text = """
            databases:
              source: {type: postgres, host: 127.0.0.1, database: prod, password: hunter2}
              target: {type: sqlite, path: ./copy.db}
            tables: [{name: events}]
            """
        try text.write(toFile: dir.file("pw.yaml"), atomically: true, encoding: .utf8)
        var r = try FerryBinary.run(["run", "--config", dir.file("pw.yaml")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("SOURCE_DB_PASSWORD"))
        #expect(!r.stderr.contains("hunter2"))
        try text.replacingOccurrences(of: ", password: hunter2", with: "").write(
            toFile: dir.file("env.yaml"), atomically: true, encoding: .utf8)
        r = try FerryBinary.run(["run", "--config", dir.file("env.yaml")], clean: true)
        #expect(r.status == 2)
        #expect(r.stderr.contains("SOURCE_DB_USER is not set"))
    }

    @Test func unreachableHostFailsTheTableWithAClearErrorAndNoSecret() throws {
        let dir = TempDirectory("ferry-cli")
        let text = """
            databases:
              source: {type: postgres, host: 127.0.0.1, port: 1, database: prod}
              target: {type: sqlite, path: ./copy.db}
            tables: [{name: events}]
            settings: {max_retries: 0, connection_timeout: 2}
            """
        try text.write(toFile: dir.file("pg.yaml"), atomically: true, encoding: .utf8)
        let env = ["SOURCE_DB_USER": "reader", "SOURCE_DB_PASSWORD": "s3cret-pw"]
        let r = try FerryBinary.run(["run", "--config", dir.file("pg.yaml")], environment: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: table events:"))
        #expect(r.stderr.contains("127.0.0.1"))
        #expect(!r.stderr.contains("s3cret-pw") && !r.stdout.contains("s3cret-pw"))
        let v = try FerryBinary.run(
            ["validate", "--config", dir.file("pg.yaml"), "--check-connections"], environment: env)
        #expect(v.status == 1)
        #expect(!v.stderr.contains("s3cret-pw"))
    }

    @Test func missingIncrementalColumnFailsThatTableNamingTheColumn() throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"))
        let path = try Self.config(
            dir,
            tables:
                "  - {name: events, sync_mode: incremental, incremental_column: updated, incremental_type: datetime}\n  - {name: tags}"
        )
        let r = try FerryBinary.run(["run", "--config", path])
        #expect(r.status == 1)
        #expect(
            r.stderr.contains(
                "incremental_column updated does not exist in the source table (columns: id, kind, amount, at)"))
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM tags") == 2)
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 0)
    }

    @Test func badUsageExitsTwo() throws {
        #expect(try FerryBinary.run(["run"]).status == 2)
        #expect(try FerryBinary.run(["run", "--config", "x.yaml", "--bogus"]).status == 2)
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"))
        let path = try Self.config(dir, tables: "  - {name: events}")
        let r = try FerryBinary.run(["run", "--config", path, "--table", "event"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("did you mean 'events'"))
    }

    @Test func aFailingTableExitsOneAndTheOthersStillRun() throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"))
        let path = try Self.config(dir, tables: "  - {name: events}\n  - {name: nope}\n  - {name: tags}")
        let r = try FerryBinary.run(["run", "--config", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("table nope"))
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM events") == 50)
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM tags") == 2)
    }

    @Test func dryRunPrintsThePlanAndChangesNothing() throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"))
        let path = try Self.config(
            dir,
            tables: "  - {name: events, sync_mode: incremental, incremental_column: id, incremental_type: identity}")
        let r = try FerryBinary.run(["run", "--config", path, "--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("rows:       50 to copy"))
        #expect(r.stdout.contains("SELECT"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("copy.db")))
        #expect(!FileManager.default.fileExists(atPath: dir.file(".ferry/state.db")))
    }

    @Test func destructiveReplaceWithoutATerminalNeedsForce() throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"))
        let path = try Self.config(dir, tables: "  - {name: events}", settings: "{workers: 1}")
        #expect(try FerryBinary.run(["run", "--config", path]).status == 0)
        let refused = try FerryBinary.run(["run", "--config", path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"))
        #expect(try FerryBinary.run(["run", "--config", path, "--force"]).status == 0)
    }

    @Test(arguments: ["simple_copy", "staging_swap"])
    func killedRunFollowedByANormalRunEndsExact(strategy: String) throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"), events: 300_000)
        let path = try Self.config(dir, tables: "  - {name: events, strategy: \(strategy), batch_size: 1000}")
        // A first complete copy, then change the source so a half-done replace would be visible.
        #expect(try FerryBinary.run(["run", "--config", path]).status == 0)
        try DatabaseQueue(path: dir.file("shop.db")).write { db in
            try db.execute(sql: "DELETE FROM events WHERE id % 3 = 0; UPDATE events SET kind = 'new'")
        }
        try Self.killMidTransaction(try FerryBinary.start(["run", "--config", path, "--force"]), dir.file("copy.db"))
        // Whatever moment the kill hit, the target holds either the old or the new table, never a mix.
        let mid = try Self.count(dir.file("copy.db"), "SELECT count(*) FROM events")
        let newRows = try Self.count(dir.file("copy.db"), "SELECT count(*) FROM events WHERE kind = 'new'")
        #expect((mid == 300_000 && newRows == 0) || (mid == 200_000 && newRows == 200_000))
        let r = try FerryBinary.run(["run", "--config", path, "--force"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM events") == 200_000)
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM events WHERE kind = 'new'") == 200_000)
        #expect(
            try Self.count(dir.file("copy.db"), "SELECT count(*) FROM sqlite_master WHERE name LIKE '%ferry%'") == 0)
    }

    /// Kills `child` (a `ferry run` writing into the SQLite file `db`) once its write transaction is open (the
    /// file's rollback journal exists), and checks the kill landed in it: the journal is left behind, hot.
    static func killMidTransaction(
        _ child: Subprocess.Child, _ db: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let journal = db + "-journal"
        let waited = Result {
            try Wait.until("the run's write transaction on \(db) (its journal \(journal))", timeout: 120) {
                FileManager.default.fileExists(atPath: journal)
            }
        }
        child.kill()
        #expect(
            child.wait() == 128 + SIGKILL, "the run ended before the kill; the test would prove nothing",
            sourceLocation: sourceLocation)
        _ = try waited.get()
        #expect(
            FileManager.default.fileExists(atPath: journal),
            "the write transaction ended before the kill; the test would prove nothing", sourceLocation: sourceLocation)
    }

    /// A first load creates the table inside the load's transaction, so a kill leaves no table (not an empty one)
    /// and the next run loads it whole.
    @Test(arguments: ["simple_copy", "staging_swap"])
    func killedFirstLoadIntoSQLiteLeavesNoTableAndTheNextRunEndsExact(strategy: String) throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"), events: 100_000)
        let path = try Self.config(dir, tables: "  - {name: events, strategy: \(strategy), batch_size: 1000}")
        try Self.killMidTransaction(try FerryBinary.start(["run", "--config", path]), dir.file("copy.db"))
        // Opening the file rolls the killed transaction back.
        let left = try DatabaseQueue(path: dir.file("copy.db")).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(left.isEmpty, "the killed first load left tables: \(left)")
        let r = try FerryBinary.run(["run", "--config", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.count(dir.file("copy.db"), "SELECT count(*) FROM events") == 100_000)
        #expect(
            try Self.count(dir.file("copy.db"), "SELECT count(*) FROM sqlite_master WHERE name LIKE '%ferry%'") == 0)
    }

    @Test func killedDeltaWriteLeavesThePreviousVersionAndVacuumCleansUp() throws {
        let dir = TempDirectory("ferry-cli")
        try Self.makeShop(dir.file("shop.db"), events: 300_000)
        let text = """
            databases:
              source: {type: sqlite, path: ./shop.db}
              target: {type: delta, path: ./lake}
            tables:
              - {name: events, batch_size: 2000}
            settings: {confirm: false}

            """
        try text.write(toFile: dir.file("lake.yaml"), atomically: true, encoding: .utf8)
        #expect(try FerryBinary.run(["run", "--config", dir.file("lake.yaml")]).status == 0)
        try DatabaseQueue(path: dir.file("shop.db")).write { db in
            try db.execute(sql: "DELETE FROM events WHERE id % 3 = 0; UPDATE events SET kind = 'new'")
        }
        // The kill comes once the run writes: a data file the first version does not have appears.
        let table = dir.file("lake/events")
        func dataFiles() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: table).filter { $0.hasSuffix(".parquet") })
        }
        let firstFiles = try dataFiles()
        let child = try FerryBinary.start(["run", "--config", dir.file("lake.yaml")])
        let waited = Result {
            try Wait.until("a new data file in \(table)", timeout: 120) { try !dataFiles().isSubset(of: firstFiles) }
        }
        child.kill()
        #expect(child.wait() == 128 + SIGKILL, "the run ended before the kill; the test would prove nothing")
        _ = try waited.get()
        let probe = """
            import sys, json
            from deltalake import DeltaTable
            dt = DeltaTable(sys.argv[1])
            t = dt.to_pyarrow_table()
            print(json.dumps([dt.version(), t.num_rows, sum(1 for k in t.column("kind").to_pylist() if k == "new")]))
            """
        // Whichever moment the kill hit: the previous version whole, or the new one whole (it committed first).
        let mid = try Python.json(probe, [table]) as? [Int]
        #expect(mid == [0, 300_000, 0] || mid == [1, 200_000, 200_000], "\(String(describing: mid))")
        let next = (mid?.first ?? 0) + 1
        #expect(try FerryBinary.run(["run", "--config", dir.file("lake.yaml")]).status == 0)
        #expect(try Python.json(probe, [table]) as? [Int] == [next, 200_000, 200_000])
        // The killed run's files and the replaced ones are unreferenced; with no retention vacuum removes them all.
        let vacuum = try FerryBinary.run(["vacuum", "--config", dir.file("lake.yaml"), "--retention-hours", "0"])
        #expect(vacuum.status == 0, "\(vacuum.stderr)")
        #expect(vacuum.stdout.contains("deleted"))
        #expect(try Python.json(probe, [table]) as? [Int] == [next, 200_000, 200_000])
    }
}
