import FerryTestKit
import Foundation
import Testing

/// `ferry run` for cdc tables, through the binary: kill -9 while following, clean stop, status, cleanup, and the
/// errors a misconfigured server gets.
@Suite struct CDCCommandTests {
    struct Setup {
        let cluster: PostgresCluster
        let dir = TempDirectory("ferry-cdc-cli")
        let db: String
        let slot: String
        var config: String { dir.file("ferry.yaml") }
        var lake: String { dir.file("lake") }
        var env: [String: String] { ["SOURCE_DB_USER": cluster.superuser] }
        /// `env` with info-level logs, which name each step a follower takes ("streaming changes", "batch applied").
        var logging: [String: String] { env.merging(["LOG_LEVEL": "info"]) { $1 } }

        init(tables: String, target: String? = nil, user: String? = nil, cdc: String = "") throws {
            cluster = try PostgresCluster.shared()
            db = try cluster.createDatabase()
            slot = "cli_" + db.replacingOccurrences(of: "ferry_test_", with: "")
            let targetYAML = target ?? "{type: delta, path: \(dir.file("lake"))}"
            let yaml = """
                databases:
                  source: {type: postgres, host: \(cluster.host), port: \(cluster.port), database: \(db),
                           cdc: {slot_name: \(slot), publication_name: \(slot)_pub, batch_max_rows: 3000,
                                 batch_max_seconds: 0.3\(cdc)}}
                  target: \(targetYAML)
                tables:
                \(tables)
                settings: {confirm: false, max_retries: 0}
                """
            try yaml.write(toFile: dir.file("ferry.yaml"), atomically: true, encoding: .utf8)
        }

        func sql(_ text: String) throws -> String {
            try cluster.psql(text, database: db).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func ferry(_ args: [String], user: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            var e = env
            if let user { e["SOURCE_DB_USER"] = user }
            let r = try FerryBinary.run(args + ["--config", config], environment: e)
            return (r.status, r.stdout, r.stderr)
        }

        var confirmedLSN: String {
            get throws { try sql("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '\(slot)'") }
        }
    }

    /// count|sum(v)|sum(length(note)) of the Delta table, through delta-rs.
    static func deltaDigest(_ path: String) throws -> String {
        try Python.run(
            Python.readDelta + """
                import sys
                t = read_delta(sys.argv[1]).to_pylist()
                print(f"{len(t)}|{sum(r['v'] for r in t)}|{sum(len(r['note'] or '') for r in t)}")
                """, [path]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every `txn` version the log holds for the CDC app id, in commit order.
    static func txnVersions(_ table: String) throws -> [Int64] {
        let log = table + "/_delta_log"
        let files = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".json") }.sorted()
        var versions: [Int64] = []
        for file in files {
            let text = try String(contentsOfFile: log + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let data = line.data(using: .utf8),
                    let action = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let txn = action["txn"] as? [String: Any],
                    (txn["appId"] as? String)?.hasPrefix("ferry-cdc:") == true,
                    let version = (txn["version"] as? NSNumber)?.int64Value
                else { continue }
                versions.append(version)
            }
        }
        return versions
    }

    @Test func killedFollowerRestartsExactWithoutCommittingABatchTwice() throws {
        let s = try Setup(tables: "  - {name: public.events, sync_mode: cdc}")
        _ = try s.sql(
            """
            CREATE TABLE events (id bigint PRIMARY KEY, v integer NOT NULL, note text);
            INSERT INTO events SELECT g, 0, 'n' || g FROM generate_series(1, 20000) g;
            """)
        let first = try s.ferry(["run"])
        #expect(first.status == 0, "\(first.stderr)")
        let afterLoad = try s.confirmedLSN
        // A backlog of 40 transactions of 1000 updates, some inserts and deletes.
        var script = ""
        for t in 0..<40 {
            let from = (t * 500) % 20000 + 1
            script += "UPDATE events SET v = v + 1, note = note || 'x' WHERE id BETWEEN \(from) AND \(from + 999);\n"
            if t % 5 == 0 { script += "INSERT INTO events VALUES (\(100_000 + t), \(t), NULL);\n" }
            if t % 7 == 0 { script += "DELETE FROM events WHERE id = \(t * 3 + 1);\n" }
        }
        _ = try s.sql(script)

        // The follower logs each batch it applied; the kill comes right after the first of the backlog's batches
        // (about 14 of up to 3,000 changes), while the rest are still to apply.
        let killedLog = s.dir.file("killed.log")
        let child = try FerryBinary.start(
            ["run", "--follow", "--config", s.config], environment: s.logging, stderr: killedLog)
        let waited = Result {
            try Wait.until("a 'batch applied' line in \(killedLog)", timeout: 120) {
                Wait.text(of: killedLog).contains("batch applied")
            }
        }
        child.kill()
        #expect(child.wait() == 128 + SIGKILL, "the follower ended before the kill; the test would prove nothing")
        _ = try waited.get()
        let expected = try s.sql("SELECT count(*), sum(v), sum(length(coalesce(note, ''))) FROM events")
        #expect(try !Self.txnVersions(s.lake + "/events").isEmpty, "no batch was committed before the kill")
        #expect(
            try Self.deltaDigest(s.lake + "/events") != expected,
            "the whole backlog was applied before the kill; the test would prove nothing about a kill mid-backlog")

        let again = try s.ferry(["run"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.deltaDigest(s.lake + "/events") == expected)
        let versions = try Self.txnVersions(s.lake + "/events")
        #expect(!versions.isEmpty)
        #expect(versions == versions.sorted() && Set(versions).count == versions.count, "\(versions)")
        #expect(try s.confirmedLSN != afterLoad)

        // --follow stops cleanly on SIGTERM after applying what arrived.
        // The change is made once the follower streams, so it arrives through the open stream.
        let followLog = s.dir.file("follow.log")
        let follower = try FerryBinary.start(
            ["run", "--follow", "--config", s.config], environment: s.logging, stderr: followLog)
        do {
            try Wait.until("a 'streaming changes' line in \(followLog)", timeout: 120) {
                Wait.text(of: followLog).contains("streaming changes")
            }
            _ = try s.sql("UPDATE events SET v = v + 100 WHERE id <= 10")
            let target = try s.sql("SELECT count(*), sum(v), sum(length(coalesce(note, ''))) FROM events")
            try Wait.until("the follower to apply the update (target \(target))", timeout: 120, every: 0.3) {
                try Self.deltaDigest(s.lake + "/events") == target
            }
        } catch {
            follower.kill()
            follower.wait()
            throw error
        }
        follower.kill(SIGTERM)
        #expect(follower.wait() == 0, "\(Wait.text(of: followLog))")
    }

    /// A transaction bigger than a batch is applied in parts; killed between parts, the follower leaves the target
    /// with some of the transaction, and the next run applies it whole again: exact.
    @Test func killedMidWayThroughAHugeTransactionRestartsExact() throws {
        let s = try Setup(tables: "  - {name: public.events, sync_mode: cdc}", cdc: ", batch_max_memory: 1MB")
        _ = try s.sql(
            """
            CREATE TABLE events (id bigint PRIMARY KEY, v integer NOT NULL, note text);
            INSERT INTO events SELECT g, 0, 'n' || g FROM generate_series(1, 20000) g;
            """)
        #expect(try s.ferry(["run"]).status == 0)
        let log = s.lake + "/events/_delta_log"
        func commits() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: log).count { $0.hasSuffix(".json") }
        }
        let before = try commits()
        _ = try s.sql(
            """
            BEGIN;
            UPDATE events SET v = v + 1, note = repeat('y', 200) || id;
            UPDATE events SET v = v + 1 WHERE id % 2 = 0;
            INSERT INTO events SELECT g, 7, NULL FROM generate_series(30001, 40000) g;
            DELETE FROM events WHERE id % 9 = 0;
            COMMIT;
            """)
        let child = try FerryBinary.start(["run", "--follow", "--config", s.config], environment: s.env)
        let waited = Result {
            try Wait.until("two commits of parts of the transaction in \(log)", timeout: 120) {
                try commits() >= before + 2
            }
        }
        child.kill()
        #expect(child.wait() == 128 + SIGKILL, "the follower ended before the kill; the test would prove nothing")
        _ = try waited.get()
        #expect(try commits() >= before + 2, "no part of the transaction was applied before the kill")
        let expected = try s.sql("SELECT count(*), sum(v), sum(length(coalesce(note, ''))) FROM events")
        #expect(try Self.deltaDigest(s.lake + "/events") != expected, "the kill came after the whole transaction")

        let again = try s.ferry(["run"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.deltaDigest(s.lake + "/events") == expected)
        let versions = try Self.txnVersions(s.lake + "/events")
        #expect(versions == versions.sorted() && Set(versions).count == versions.count, "\(versions)")
    }

    @Test func aDryRunShowsWhatACDCRunWouldDoAndChangesNothing() throws {
        let s = try Setup(tables: "  - {name: public.events, sync_mode: cdc}")
        _ = try s.sql("CREATE TABLE events (id bigint PRIMARY KEY, v integer NOT NULL, note text);")
        var r = try s.ferry(["run", "--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("load from the slot's snapshot"), "\(r.stdout)")
        #expect(r.stdout.contains("created if missing"), "\(r.stdout)")
        #expect(r.stdout.contains("key (id)"), "\(r.stdout)")
        #expect(try s.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(s.slot)'") == "0")
        #expect(try s.sql("SELECT count(*) FROM pg_publication") == "0")
        #expect(!FileManager.default.fileExists(atPath: s.lake))

        #expect(try s.ferry(["run"]).status == 0)
        r = try s.ferry(["run", "--dry-run"])
        #expect(r.stdout.contains("stream from "), "\(r.stdout)")
        #expect(r.stdout.contains("confirmed at"), "\(r.stdout)")

        // What a run would stop at, a dry run reports the same way.
        _ = try s.sql("ALTER TABLE events DROP CONSTRAINT events_pkey")
        r = try s.ferry(["run", "--dry-run"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("REPLICA IDENTITY FULL"), "\(r.stderr)")
    }

    @Test func statusShowsTheSlotAndCleanupDropsIt() throws {
        let s = try Setup(tables: "  - {name: public.events, sync_mode: cdc, deletes: soft, metadata_columns: true}")
        _ = try s.sql(
            """
            CREATE TABLE events (id bigint PRIMARY KEY, v integer NOT NULL, note text);
            INSERT INTO events SELECT g, g, NULL FROM generate_series(1, 100) g;
            """)
        #expect(try s.ferry(["run"]).status == 0)
        _ = try s.sql("DELETE FROM events WHERE id <= 10; UPDATE events SET v = 0 WHERE id = 50")
        let run = try s.ferry(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let soft = try Python.run(
            Python.readDelta + """
                import sys
                t = read_delta(sys.argv[1]).to_pylist()
                print(len(t), sum(1 for r in t if r['_ferry_deleted']), min(r['_ferry_lsn'] for r in t) > 0,
                      [r['v'] for r in t if r['id'] == 50][0])
                """, [s.lake + "/events"]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(soft == "100 10 True 0")

        let status = try s.ferry(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("cdc slot \(s.slot)"), "\(status.stdout)")
        #expect(status.stdout.contains("WAL retained"), "\(status.stdout)")
        #expect(status.stdout.contains("applied LSN"), "\(status.stdout)")

        let cleanup = try s.ferry(["cleanup", "--force"])
        #expect(cleanup.status == 0, "\(cleanup.stderr)")
        #expect(try s.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(s.slot)'") == "0")
        #expect(try s.sql("SELECT count(*) FROM pg_publication WHERE pubname = '\(s.slot)_pub'") == "0")
        // The next run starts over: a new slot, every table reloaded.
        let rerun = try s.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try s.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(s.slot)'") == "1")
    }

    @Test func misconfiguredSourcesGetClearErrorsAndNothingIsCreated() throws {
        let s = try Setup(tables: "  - {name: public.nokey, sync_mode: cdc}")
        _ = try s.sql("CREATE TABLE nokey (a integer, b text); INSERT INTO nokey VALUES (1, 'x');")
        let validate = try s.ferry(["validate", "--check-connections"])
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("REPLICA IDENTITY FULL"), "\(validate.stderr)")
        let noIdentity = try s.ferry(["run"])
        #expect(noIdentity.status == 1)
        #expect(noIdentity.stderr.contains("REPLICA IDENTITY FULL"), "\(noIdentity.stderr)")
        #expect(try s.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(s.slot)'") == "0")
        #expect(try s.sql("SELECT count(*) FROM pg_publication WHERE pubname = '\(s.slot)_pub'") == "0")

        let role = "plain_" + s.slot
        _ = try s.sql(
            """
            CREATE ROLE \(role) LOGIN; ALTER TABLE nokey OWNER TO \(role);
            ALTER TABLE nokey ADD PRIMARY KEY (a);
            """)
        let noPrivilege = try s.ferry(["run"], user: role)
        #expect(noPrivilege.status == 1)
        #expect(noPrivilege.stderr.contains("REPLICATION"), "\(noPrivilege.stderr)")
        #expect(try s.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(s.slot)'") == "0")

        let sim = try s.ferry(["simulate", "--inserts", "5", "--updates", "2", "--deletes", "1"])
        #expect(sim.status == 0, "\(sim.stderr)")
        #expect(try s.sql("SELECT count(*) FROM nokey") == "5")
    }
}
