import FerryCore
import FerryDelta
import FerryEngine
import FerrySQLite
import FerryState
import FerryTestKit
import Foundation
import GRDB
import Testing

@testable import FerryPostgres

/// CDC end to end against a real server: snapshot, then the stream, into SQLite, PostgreSQL and Delta targets.
@Suite struct CDCTests {
    enum Target: String, CaseIterable, Sendable {
        case sqlite
        case postgres
        case delta
    }

    /// How pgoutput carries column values: binary when every replicated column has a type Ferry reads natively
    /// (the default), else text.
    enum Values: String, CaseIterable, Sendable {
        case text
        case binary
    }

    struct Env {
        let cluster: PostgresCluster
        let dir = TempDirectory("ferry-cdc")
        let srcDB: String
        let dstDB: String
        let slot: String
        let target: Target
        var batchMaxBytes = CDCSettings().batchMaxBytes

        init(_ target: Target) throws {
            cluster = try PostgresCluster.shared()
            srcDB = try cluster.createDatabase()
            dstDB = try cluster.createDatabase()
            slot = "s_" + srcDB.replacingOccurrences(of: "ferry_test_", with: "")
            self.target = target
        }

        func pg(_ db: String) -> PostgresConnectionConfig {
            PostgresConnectionConfig(
                host: cluster.host, port: cluster.port, database: db, user: cluster.superuser, password: nil)
        }

        var destination: any Destination {
            switch target {
            case .sqlite: SQLiteDestination(path: dir.file("copy.db"))
            case .postgres: PostgresDestination(config: pg(dstDB))
            case .delta: DeltaDestination(root: dir.file("lake"))
            }
        }

        var settings: CDCSettings {
            var s = CDCSettings()
            s.slotName = slot
            s.publicationName = slot + "_pub"
            s.batchMaxRows = 50
            s.batchMaxSeconds = 0.5
            s.batchMaxBytes = batchMaxBytes
            return s
        }

        var store: StateStore { get throws { try StateStore(path: dir.file("state.db")) } }

        /// A run started in the state store, for the pipeline to record its table runs under.
        func newRun() throws -> String {
            let id = UUID().uuidString
            try store.startRun(
                RunRecord(
                    id: id, operation: "run", configPath: "-", configHash: "-", startedAt: Date(), host: "test",
                    user: "test", dryRun: false))
            return id
        }

        func pipeline(observer: (any ProgressObserver)? = nil) throws -> CDCPipeline {
            CDCPipeline(
                source: PostgresChangeSource(
                    config: pg(srcDB), slotName: settings.slotName, publicationName: settings.publicationName),
                destination: destination, recorder: try store,
                settings: settings, force: true, observer: observer)
        }

        func run(
            _ tables: [TableSpec], follow: Bool = false, stop: StopSignal = StopSignal(),
            observer: (any ProgressObserver)? = nil
        ) async throws
            -> CDCResult
        {
            let result = try await pipeline(observer: observer).run(
                tables: tables, follow: follow, stop: stop, runId: newRun())
            if let error = result.error { Issue.record("cdc run failed: \(error)") }
            return result
        }

        /// Runs `body` while a follower streams `tables`, then stops the follower and returns its result. The
        /// follower is stopped even when `body` throws, so a failing body fails the test instead of hanging it.
        func whileFollowing(
            _ tables: [TableSpec], _ body: () async throws -> Void
        ) async throws -> CDCResult {
            let stop = StopSignal()
            let pipeline = try pipeline()
            let runId = try newRun()
            async let followed = pipeline.run(tables: tables, follow: true, stop: stop, runId: runId)
            do {
                try await body()
            } catch {
                stop.stop()
                let result = await followed
                if let failure = result.error { Issue.record("the follower failed: \(failure)") }
                throw error
            }
            stop.stop()
            let result = await followed
            #expect(result.error == nil, "the follower failed: \(String(describing: result.error))")
            return result
        }

        @discardableResult
        func sql(_ text: String) throws -> String { try cluster.psql(text, database: srcDB) }

        /// Whether a stream is open on the pipeline's slot (a follower past its start).
        var slotIsActive: Bool {
            get throws {
                try sql("SELECT active FROM pg_replication_slots WHERE slot_name = '\(slot)'")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "t"
            }
        }

        /// Waits until every table of `tables` in the target equals the source (a follower caught up).
        func waitUntilTargetEqualsSource(_ tables: [String]) async throws {
            try await Wait.until("the \(target) target to equal the source in \(tables)", timeout: 120, every: 0.2) {
                try tables.allSatisfy { table in
                    try targetContents(table) == contents(PostgresSource(config: pg(srcDB)), "public." + table)
                }
            }
        }

        /// The SQLite target's indexes on `table` and whether each is unique (none for other targets).
        func sqliteIndexes(_ table: String) throws -> [String] {
            guard target == .sqlite else { return [] }
            return try DatabaseQueue(path: dir.file("copy.db")).read { db in
                try Row.fetchAll(db, sql: "PRAGMA index_list(\(table))").map { row in
                    let columns = try Row.fetchAll(db, sql: "PRAGMA index_info(\(row["name"] as String))")
                    return "\(row["name"] as String) unique=\(row["unique"] as Bool) "
                        + columns.map { $0["name"] as String }.joined(separator: ",")
                }.sorted()
            }
        }

        /// The target table's rows, rendered like `contents` renders a source (Delta through delta-rs).
        func targetContents(_ table: String) throws -> [[String]] {
            switch target {
            case .sqlite: return try contents(SQLiteSource(path: dir.file("copy.db")), table)
            case .postgres: return try contents(PostgresSource(config: pg(dstDB)), "public." + table)
            case .delta: return try deltaContents(dir.file("lake") + "/" + table)
            }
        }

        func expectTargetEqualsSource(
            _ tables: [String], sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            for table in tables {
                let expected = try contents(PostgresSource(config: pg(srcDB)), "public." + table)
                let actual = try targetContents(table)
                #expect(actual.count == expected.count, "\(table) rows", sourceLocation: sourceLocation)
                if let i = (0..<min(actual.count, expected.count)).first(where: { actual[$0] != expected[$0] }) {
                    Issue.record(
                        "\(target) \(table) row \(i) differs:\n target: \(actual[i])\n source: \(expected[i])",
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    static let docsTable = """
        CREATE TABLE docs (id integer PRIMARY KEY, body text, n integer NOT NULL);
        CREATE TABLE tags (id integer PRIMARY KEY, label text);
        """

    /// A text of about 6 kB that does not compress below the TOAST threshold, so it is stored out of line.
    static let bigText = "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 200))"

    static func specs(_ names: [String]) -> [TableSpec] {
        names.map { TableSpec(name: TableName(parsing: "public.\($0)"), syncMode: .cdc, batchSize: 64) }
    }

    /// Inserts, value and key updates, deletes, NULLs, a rolled-back transaction, an unchanged TOASTed value and
    /// a truncate, in several transactions.
    static func workload(_ env: Env, omitting: Set<String> = []) throws {
        // Two sessions at once: the items workload and the docs/tags one interleave their commits.
        let scripts = [
            """
            UPDATE items SET name = 'renamed ' || id, price = price + 1 WHERE id % 5 = 0;
            UPDATE items SET id = id + 1000 WHERE id IN (3, 4);
            DELETE FROM items WHERE id % 7 = 1;
            UPDATE items SET docb = NULL, ref = NULL, name = NULL WHERE id = 10;
            BEGIN;
            UPDATE items SET name = 'never' WHERE id = 2;
            DELETE FROM items WHERE id = 6;
            ROLLBACK;
            BEGIN;
            INSERT INTO items (id, medium, happened_tz) VALUES (5000, 1, now());
            UPDATE items SET medium = 2 WHERE id = 5000;
            DELETE FROM items WHERE id = 5000;
            INSERT INTO items (id, medium, happened_tz, name) VALUES (5001, 7, '2000-01-01 00:00:00+00', 'last');
            COMMIT;
            """,
            """
            UPDATE docs SET n = n + 1;
            UPDATE docs SET body = 'short now' WHERE id = 2;
            INSERT INTO tags SELECT g, 'more ' || g FROM generate_series(11, 40) g;
            TRUNCATE tags;
            INSERT INTO tags VALUES (1, 'after truncate');
            UPDATE docs SET n = n + 1 WHERE id > 3;
            """,
        ]
        let failures = NSLock()
        nonisolated(unsafe) var errors: [any Error] = []
        DispatchQueue.concurrentPerform(iterations: scripts.count + 1) { i in
            do {
                if i < scripts.count {
                    try env.sql(scripts[i])
                } else {
                    try CrossDatabaseTests.fill(env.cluster, env.srcDB, from: 51, to: 90, omitting: omitting)
                }
            } catch {
                failures.withLock { errors.append(error) }
            }
        }
        if let first = errors.first { throw first }
    }

    @Test(arguments: Target.allCases, Values.allCases)
    func caughtUpTargetEqualsSource(target: Target, values: Values) async throws {
        let env = try Env(target)
        // Interval and inet columns stream in binary too; a point column has a binary form Ferry does not read, so
        // its table streams as text.
        let omitting: Set<String> = []
        var itemsTable = CrossDatabaseTests.pgTable
        if values == .text {
            itemsTable = itemsTable.replacingOccurrences(
                of: ", span interval, addr inet", with: ", span interval, addr inet, pt point")
        }
        try env.sql(itemsTable + Self.docsTable)
        try CrossDatabaseTests.fill(env.cluster, env.srcDB, to: 50, omitting: omitting)
        try env.sql(
            "INSERT INTO docs SELECT g, \(Self.bigText), g FROM generate_series(1, 5) g; "
                + "INSERT INTO tags SELECT g, 'tag ' || g FROM generate_series(1, 10) g;")
        let tables = Self.specs(["items", "docs", "tags"])
        let source = try env.pipeline().source as? PostgresChangeSource
        #expect(source?.binaryValuesAreReadable(tables.map(\.name)) == (values == .binary))

        let first = try await env.run(tables)
        #expect(first.outcomes.allSatisfy { $0.status == .succeeded })
        try env.expectTargetEqualsSource(["items", "docs", "tags"])

        // The workload runs while a follower streams, which applies all of it; a final run then has nothing left.
        _ = try await env.whileFollowing(tables) {
            try await Wait.until("the follower to open its stream on slot \(env.slot)", timeout: 120, every: 0.05) {
                try env.slotIsActive
            }
            try Self.workload(env, omitting: omitting)
            try await env.waitUntilTargetEqualsSource(["items", "docs", "tags"])
        }
        let second = try await env.run(tables)
        #expect(second.outcomes.allSatisfy { $0.status == .succeeded })
        #expect(second.appliedThrough ?? .zero > first.appliedThrough ?? .zero)
        try env.expectTargetEqualsSource(["items", "docs", "tags"])

        // The slot was told: its confirmed position is what the targets hold.
        let confirmed = try env.cluster.psql(
            "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '\(env.slot)'",
            database: env.srcDB
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(LSN(confirmed) == second.appliedThrough)

        // A run with nothing new changes nothing and still succeeds.
        let third = try await env.run(tables)
        #expect(third.outcomes.allSatisfy { $0.status == .succeeded })
        try env.expectTargetEqualsSource(["items", "docs", "tags"])
    }

    @Test(arguments: Target.allCases)
    func aDroppedColumnStaysInTheTargetAndIsNullFromThenOn(target: Target) async throws {
        let env = try Env(target)
        try env.sql(
            """
            CREATE TABLE a (id integer PRIMARY KEY, gone integer NOT NULL, v text UNIQUE);
            CREATE INDEX a_gone_v ON a (gone, v);
            INSERT INTO a SELECT g, g * 10, 'v' || g FROM generate_series(1, 4) g;
            """)
        _ = try await env.run(Self.specs(["a"]))
        let indexesBefore = try env.sqliteIndexes("a")
        // The run streams a change from before the drop (its relation has the column) and changes after it.
        try env.sql(
            """
            UPDATE a SET v = 'before' WHERE id = 1;
            ALTER TABLE a DROP COLUMN gone;
            UPDATE a SET v = 'changed' WHERE id = 2;
            INSERT INTO a VALUES (5, 'five');
            DELETE FROM a WHERE id = 3;
            """)
        let result = try await env.run(Self.specs(["a"]))
        #expect(result.outcomes.allSatisfy { $0.status == .succeeded })
        // Rows written after the drop have no value there (the column was NOT NULL: the target now allows NULL);
        // the others keep theirs.
        let rows = try env.targetContents("a")
        #expect(
            rows == [["1", "10", "before"], ["2", "NULL", "changed"], ["4", "40", "v4"], ["5", "NULL", "five"]])
        // SQLite rebuilds the table to drop NOT NULL; its indexes come back.
        #expect(try env.sqliteIndexes("a") == indexesBefore)
        if target == .sqlite { #expect(indexesBefore.count == 3, "key, UNIQUE (v), (gone, v): \(indexesBefore)") }
    }

    @Test(arguments: Target.allCases)
    func aPartitionedTableIsStreamedAsOneTable(target: Target) async throws {
        let env = try Env(target)
        try env.sql(
            """
            CREATE TABLE events (id integer, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
            CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
            CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
            INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'v' || g
            FROM generate_series(1, 20) g;
            """)
        _ = try await env.run(Self.specs(["events"]))
        try env.sql(
            """
            INSERT INTO events VALUES (21, 'eu', 'new'), (22, 'us', 'new');
            UPDATE events SET v = 'changed' WHERE id < 5;
            UPDATE events SET region = 'us' WHERE id = 6;
            DELETE FROM events WHERE id IN (7, 8);
            """)
        let result = try await env.run(Self.specs(["events"]))
        #expect(result.outcomes.allSatisfy { $0.status == .succeeded })
        try env.expectTargetEqualsSource(["events"])
    }

    /// The stream does not carry stored generated columns (pgoutput before PostgreSQL 18), so CDC leaves them out
    /// of the target rather than let them turn NULL on the first update.
    @Test(arguments: Target.allCases)
    func aGeneratedColumnIsLeftOut(target: Target) async throws {
        let env = try Env(target)
        try env.sql(
            """
            CREATE TABLE g (id integer PRIMARY KEY, a integer, doubled integer GENERATED ALWAYS AS (a * 2) STORED);
            INSERT INTO g (id, a) SELECT x, x FROM generate_series(1, 5) x;
            """)
        _ = try await env.run(Self.specs(["g"]))
        try env.sql("UPDATE g SET a = 100 WHERE id = 1; INSERT INTO g (id, a) VALUES (6, 6);")
        let result = try await env.run(Self.specs(["g"]))
        #expect(result.outcomes.allSatisfy { $0.status == .succeeded })
        let rows = try env.targetContents("g")
        #expect(rows == [["1", "100"], ["2", "2"], ["3", "3"], ["4", "4"], ["5", "5"], ["6", "6"]])
    }

    @Test(arguments: Target.allCases)
    func aTransactionBiggerThanABatchIsAppliedInPartsAndStaysExact(target: Target) async throws {
        var env = try Env(target)
        env.batchMaxBytes = 64 << 10
        try env.sql(
            """
            CREATE TABLE big (id integer PRIMARY KEY, v text, n integer);
            INSERT INTO big SELECT g, 'v' || g, g FROM generate_series(1, 100) g;
            """)
        _ = try await env.run(Self.specs(["big"]))
        let lake = env.dir.file("lake") + "/big/_delta_log"
        func commits() throws -> Int {
            target == .delta
                ? try FileManager.default.contentsOfDirectory(atPath: lake).count { $0.hasSuffix(".json") } : 0
        }
        func mergesWithoutPosition(after version: Int) throws -> Int {
            guard target == .delta else { return 0 }
            return try FileManager.default.contentsOfDirectory(atPath: lake).filter {
                $0.hasSuffix(".json") && Int($0.prefix(20)).map { $0 > version } == true
            }.count {
                let text = try String(contentsOfFile: lake + "/" + $0, encoding: .utf8)
                return text.contains("\"MERGE\"") && !text.contains("\"txn\"")  // compactions have no position
            }
        }
        // Small transactions fill batches past 64 kB: each batch still ends at a commit, with its position.
        let loaded = try commits()
        try env.sql((1...300).map { "INSERT INTO big VALUES (\(5000 + $0), repeat('s', 1500), \($0));" }.joined())
        _ = try await env.run(Self.specs(["big"]))
        try env.expectTargetEqualsSource(["big"])
        if target == .delta {
            #expect(try commits() - loaded > 2)
            #expect(try mergesWithoutPosition(after: loaded - 1) == 0)
        }

        let commitsBefore = try commits()
        try env.sql(
            """
            BEGIN;
            INSERT INTO big SELECT g, repeat('x', 100) || g, g FROM generate_series(101, 3000) g;
            UPDATE big SET n = n + 1 WHERE id % 3 = 0;
            DELETE FROM big WHERE id % 10 = 0;
            UPDATE big SET v = 'last ' || id WHERE id <= 50 OR id > 2990;
            COMMIT;
            """)
        let result = try await env.run(Self.specs(["big"]))
        #expect(result.outcomes.allSatisfy { $0.status == .succeeded })
        try env.expectTargetEqualsSource(["big"])
        if target == .delta {
            #expect(try commits() - commitsBefore > 2, "one transaction of ~5,000 changes in batches of 64 kB")
        }

        // A part of a transaction the target already holds (replayed after a crash) is skipped.
        let tableWriter = try env.destination.openWriter(Self.specs(["big"])[0].targetName)
        defer { tableWriter.close() }
        let writer = try #require(tableWriter as? any ChangeWriter)
        let done = try #require(try writer.appliedPosition(pipeline: env.slot))
        let schema = try #require(try tableWriter.existingSchema())
        var wipe = ChangeSet()
        wipe.truncated = true
        let held = ChangePosition.partOf(commit: LSN(rawValue: done.rawValue - 1))
        #expect(try writer.apply(wipe, schema: schema, at: held, pipeline: env.slot) == false)
        try env.expectTargetEqualsSource(["big"])
    }

    @Test func aSlotMovedOrDroppedBehindFerrysBackStopsTheRunInsteadOfSkipping() async throws {
        let env = try Env(.sqlite)
        try env.sql("CREATE TABLE a (id integer PRIMARY KEY, v text); INSERT INTO a VALUES (1, 'one');")
        _ = try await env.run(Self.specs(["a"]))
        // Someone consumes the slot past changes Ferry never applied.
        // (The test cluster commits asynchronously; the slot advances only over flushed WAL.)
        try env.sql("SET synchronous_commit = on; INSERT INTO a VALUES (2, 'two');")
        try env.sql("SELECT pg_replication_slot_advance('\(env.slot)', pg_current_wal_flush_lsn());")
        var result = try await env.pipeline().run(
            tables: Self.specs(["a"]), follow: false, stop: StopSignal(), runId: env.newRun())
        #expect(
            result.error?.message.contains("ahead") == true || result.error?.message.contains("is at") == true,
            "\(String(describing: result.error))")
        #expect(result.error?.message.contains("ferry cleanup") == true)
        #expect(try contents(SQLiteSource(path: env.dir.file("copy.db")), "a").count == 1)

        try env.sql("SELECT pg_drop_replication_slot('\(env.slot)');")
        result = try await env.pipeline().run(
            tables: Self.specs(["a"]), follow: false, stop: StopSignal(), runId: env.newRun())
        #expect(result.error?.message.contains("no longer exists") == true, "\(String(describing: result.error))")
        #expect(result.outcomes.allSatisfy { $0.status == .failed })
    }

    /// Changes to a published table the run leaves out (`--table`) reach the stream as transactions with nothing
    /// for the pipeline; the slot must still be confirmed past them, or it holds WAL for good.
    @Test func aFollowerConfirmsTheSlotPastTransactionsWithNothingForItsTables() async throws {
        let env = try Env(.sqlite)
        try env.sql("CREATE TABLE a (id integer PRIMARY KEY, v text); CREATE TABLE b (id integer PRIMARY KEY, w text);")
        _ = try await env.run(Self.specs(["a", "b"]))
        func confirmed() throws -> LSN {
            LSN(
                try env.cluster.psql(
                    "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '\(env.slot)'",
                    database: env.srcDB
                ).trimmingCharacters(in: .whitespacesAndNewlines)) ?? .zero
        }
        _ = try await env.whileFollowing(Self.specs(["a"])) {
            // The test cluster commits asynchronously; the server streams only flushed WAL.
            let written = try #require(
                LSN(
                    try env.cluster.psql(
                        """
                        SET synchronous_commit = on;
                        INSERT INTO b VALUES (1, 'one'); INSERT INTO b VALUES (2, 'two');
                        SELECT pg_current_wal_flush_lsn();
                        """, database: env.srcDB
                    ).trimmingCharacters(in: .whitespacesAndNewlines)))
            var now = LSN.zero
            // Generous: the shared test cluster's slots decode every database's WAL, and other tests write a lot.
            try await Wait.until("the slot to be confirmed past \(written) (it stayed at \(now))", every: 0.1) {
                now = try confirmed()
                return now >= written
            }
        }
        #expect(try contents(SQLiteSource(path: env.dir.file("copy.db")), "b").isEmpty)
    }

    @Test func aSourceThatIsAnotherClusterStopsTheRun() async throws {
        let env = try Env(.sqlite)
        try env.sql("CREATE TABLE a (id integer PRIMARY KEY, v text); INSERT INTO a VALUES (1, 'one');")
        _ = try await env.run(Self.specs(["a"]))
        let state = try DatabaseQueue(path: env.dir.file("state.db"))
        func systemId() throws -> String? {
            try state.read { try String.fetchOne($0, sql: "SELECT system_id FROM cdc_pipelines") }
        }
        let real = try #require(try systemId())
        // A store written before Ferry recorded the cluster learns it.
        try await state.write { try $0.execute(sql: "UPDATE cdc_pipelines SET system_id = NULL") }
        #expect(try await env.run(Self.specs(["a"])).error == nil)
        #expect(try systemId() == real)

        // The same slot name on another cluster (a restore, pg_upgrade carrying slots over): positions mean nothing.
        try await state.write { try $0.execute(sql: "UPDATE cdc_pipelines SET system_id = '7123456789012345678'") }
        try env.sql("INSERT INTO a VALUES (2, 'two');")
        let result = try await env.pipeline().run(
            tables: Self.specs(["a"]), follow: false, stop: StopSignal(), runId: env.newRun())
        #expect(
            result.error?.message.contains("another PostgreSQL cluster") == true, "\(String(describing: result.error))")
        #expect(result.error?.message.contains("ferry cleanup") == true)
        #expect(try contents(SQLiteSource(path: env.dir.file("copy.db")), "a").count == 1)
    }

    @Test func aFollowerReconnectsWhenItsConnectionIsKilled() async throws {
        let env = try Env(.sqlite)
        try env.sql("CREATE TABLE a (id integer PRIMARY KEY, v text); INSERT INTO a VALUES (1, 'one');")
        _ = try await env.run(Self.specs(["a"]))
        func waitForRows(_ n: Int, _ what: String) async throws {
            // Generous: after a reconnect the server decodes again from the slot's restart point, through the WAL
            // every other test of the shared cluster wrote meanwhile.
            try await Wait.until("\(n) rows in the target: \(what)", timeout: 180, every: 0.1) {
                try contents(SQLiteSource(path: env.dir.file("copy.db")), "a").count == n
            }
        }
        _ = try await env.whileFollowing(Self.specs(["a"])) {
            try env.sql("INSERT INTO a VALUES (2, 'two');")
            try await waitForRows(2, "the follower streaming an insert")
            try env.sql(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '\(env.slot)';")
            try env.sql("INSERT INTO a VALUES (3, 'three');")
            try await waitForRows(3, "the follower coming back after its connection was killed")
        }
        try env.expectTargetEqualsSource(["a"])
    }

    @Test func changesDuringTheInitialSnapshotAreNeitherLostNorDuplicated() async throws {
        let env = try Env(.postgres)
        try env.sql(
            """
            CREATE TABLE ledger (id bigint PRIMARY KEY, amount integer NOT NULL, note text);
            INSERT INTO ledger SELECT g, g % 100, repeat('n', 200) FROM generate_series(1, 60000) g;
            """)
        let writer = WorkloadThread(env: env)
        let load = LoadTimes()
        writer.start()
        defer { writer.stop() }
        _ = try await env.run(Self.specs(["ledger"]), observer: load)
        writer.stop()
        #expect(writer.failures.isEmpty, "\(writer.failures)")
        // Proof that changes overlapped the snapshot: transactions that began after the load started (so after
        // the slot's snapshot was taken: they are not in it) and committed before its last row was written.
        let (started, lastRow) = try #require(load.window, "the load reported no progress")
        let overlapping = writer.committed.filter { $0.began > started && $0.committed < lastRow }.count
        #expect(
            overlapping > 0,
            "none of \(writer.committed.count) transactions committed while the load ran; the test would prove nothing")
        _ = try await env.run(Self.specs(["ledger"]))
        try env.expectTargetEqualsSource(["ledger"])
    }

    @Test func aTableAddedLaterIsLoadedAndANewColumnAppears() async throws {
        let env = try Env(.sqlite)
        try env.sql(
            """
            CREATE TABLE a (id integer PRIMARY KEY, v text);
            CREATE TABLE b (id integer PRIMARY KEY, w numeric(10,2));
            INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 100) g;
            INSERT INTO b SELECT g, g * 1.5 FROM generate_series(1, 100) g;
            """)
        _ = try await env.run(Self.specs(["a"]))
        try env.sql("UPDATE a SET v = 'changed' WHERE id < 5; INSERT INTO b VALUES (101, 1.25);")
        _ = try await env.run(Self.specs(["a", "b"]))
        try env.expectTargetEqualsSource(["a", "b"])

        try env.sql(
            """
            ALTER TABLE a ADD COLUMN extra integer;
            UPDATE a SET extra = id * 2 WHERE id <= 10;
            INSERT INTO a VALUES (1000, 'new', 7);
            DELETE FROM b WHERE id = 1;
            """)
        _ = try await env.run(Self.specs(["a", "b"]))
        try env.expectTargetEqualsSource(["a", "b"])
    }
}

/// When a snapshot load started and when it wrote its last rows, as its progress reports say.
final class LoadTimes: ProgressObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var started: Date?
    private var lastRows: Date?

    /// (load started, last rows written); nil until both happened.
    var window: (Date, Date)? {
        lock.withLock { started.flatMap { s in lastRows.map { (s, $0) } } }
    }

    func started(table: String, plan: TablePlan) { lock.withLock { started = started ?? Date() } }

    /// The load reports bytes; the stream that follows it reports rows only.
    func progress(table: String, rows: Int64, bytes: Int64) {
        if bytes > 0 { lock.withLock { lastRows = Date() } }
    }

    func finished(_ outcome: TableOutcome) {}
}

/// Commits small transactions against `ledger` until stopped: inserts, updates and deletes.
final class WorkloadThread: @unchecked Sendable {
    /// A transaction that committed: it began no earlier than `began` and had committed by `committed`.
    struct Commit {
        var began: Date
        var committed: Date
    }

    let env: CDCTests.Env
    private let lock = NSLock()
    private var running = true
    private var thread: Thread?
    private var commits: [Commit] = []
    private let finished = DispatchSemaphore(value: 0)

    init(env: CDCTests.Env) { self.env = env }

    /// The transactions that committed (a failed one is not counted).
    var committed: [Commit] { lock.withLock { commits } }
    /// Why transactions failed.
    var failures: [String] { lock.withLock { errors } }
    private var errors: [String] = []

    func start() {
        let t = Thread { [self] in
            var i = 0
            while lock.withLock({ running }) {
                i += 1
                let began = Date()
                do {
                    try env.sql(
                        """
                        BEGIN;
                        INSERT INTO ledger VALUES (\(100_000 + i), \(i), 'during load');
                        UPDATE ledger SET amount = amount + 1 WHERE id = \(i * 7 % 60000 + 1);
                        DELETE FROM ledger WHERE id = \(i * 13 % 60000 + 1);
                        COMMIT;
                        """)
                    let commit = Commit(began: began, committed: Date())
                    lock.withLock { commits.append(commit) }
                } catch {
                    lock.withLock { errors.append("\(error)") }
                }
            }
            finished.signal()
        }
        thread = t
        t.start()
    }

    func stop() {
        let wasRunning = lock.withLock {
            let r = running
            running = false
            return r
        }
        if wasRunning && thread != nil { finished.wait() }
    }
}
