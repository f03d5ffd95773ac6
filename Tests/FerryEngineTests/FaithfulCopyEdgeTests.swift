import FerryCore
import FerryEngine
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

/// What a demanding user hits with PostgreSQL -> PostgreSQL copies: target types and extensions that do not match,
/// loads that fail in the middle, schema changes one at a time, incremental and smart_sync tables, many workers,
/// and foreign keys between tables loaded in any order.
@Suite struct FaithfulCopyEdgeTests {
    typealias Env = FaithfulCopyTests.Env

    static func spec(
        _ name: String, _ mode: SyncMode = .fullReplace, strategy: LoadStrategy = .stagingSwap,
        column: String? = nil, type: IncrementalType? = nil
    ) -> TableSpec {
        var spec = TableSpec(
            name: TableName(parsing: name), syncMode: mode, strategy: strategy, incrementalColumn: column,
            incrementalType: type, batchSize: 500)
        spec.syncMode = mode
        return spec
    }

    static func run(
        _ env: Env, _ specs: [TableSpec], workers: Int = 2, force: Bool = false, dryRun: Bool = false,
        targetUser: String? = nil
    ) async -> [TableOutcome] {
        var target = env.config(env.dst)
        if let targetUser { target.user = targetUser }
        let engine = Engine(
            source: PostgresSource(config: env.config(env.src)), destination: PostgresDestination(config: target),
            recorder: nil, workers: workers, retry: RetryPolicy(maxRetries: 0, baseDelay: 0.01), dryRun: dryRun,
            force: true, forceSchemaChanges: force)
        return await engine.run(tables: specs, runId: UUID().uuidString)
    }

    static func failure(_ outcome: TableOutcome?, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(outcome?.status == .failed, sourceLocation: sourceLocation)
        let message = outcome?.error?.message ?? ""
        #expect(!message.contains("\n"), "not one line: \(message)", sourceLocation: sourceLocation)
        return message
    }

    // MARK: Types and extensions the target has differently

    @Test(arguments: [
        ("CREATE TYPE app.mood AS ENUM ('happy', 'sad', 'meh')", "app.mood"),
        ("CREATE TYPE app.address AS (zip integer, street text, city text)", "app.address"),
    ])
    func aTargetTypeOfTheSameNameThatDiffersFailsTheTableNamingItAndChangesNothing(
        ddl: String, type: String
    ) async throws {
        let env = try Env()
        try env.sql(env.dst, "CREATE SCHEMA app; \(ddl)")
        let before = try env.dump(env.dst)
        let out = await Self.run(env, [Self.spec("app.customers")])
        let message = Self.failure(out.first)
        #expect(out.first?.error?.code == .schema)
        #expect(message.contains(type) && message.contains("differs"), "\(message)")
        #expect(try env.dump(env.dst) == before)
    }

    @Test func anExtensionTheTargetHasInAnotherSchemaIsNamedAndNothingChanges() async throws {
        let env = try Env()
        try env.sql(env.dst, "CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext")
        let before = try env.dump(env.dst)
        let out = await Self.run(env, [Self.spec("app.customers")])
        let message = Self.failure(out.first)
        #expect(message.contains("extension citext") && message.contains("ext"), "\(message)")
        #expect(message.contains("ALTER EXTENSION \"citext\" SET SCHEMA \"public\""), "\(message)")
        #expect(try env.dump(env.dst) == before)
    }

    /// An extension the target cannot create (here an untrusted one and a role that is not superuser; a package
    /// missing on the server fails the same statement) fails naming it and saying what to do, and changes nothing.
    @Test func anExtensionTheTargetCannotCreateIsNamedWithWhatToDo() async throws {
        let env = try Env()
        try env.sql(
            env.src,
            """
            CREATE EXTENSION dblink; CREATE TABLE public.links (id int PRIMARY KEY, r public.dblink_pkey_results);
            INSERT INTO public.links VALUES (1, ROW(1, 'a')), (2, NULL);
            """)
        let role = "ferry_weak_\(env.dst)"
        try env.sql("postgres", "CREATE ROLE \(role) LOGIN; ALTER DATABASE \(env.dst) OWNER TO \(role)")
        let before = try env.dump(env.dst)
        let out = await Self.run(env, [Self.spec("public.links")], targetUser: role)
        let message = Self.failure(out.first)
        #expect(message.contains("extension dblink"), "\(message)")
        #expect(message.contains("CREATE EXTENSION \"dblink\" SCHEMA \"public\""), "\(message)")
        #expect(try env.dump(env.dst) == before)
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_extension WHERE extname = 'dblink'") == "0")
    }

    // MARK: Loads that fail in the middle

    /// What the target's `app.customers` holds, and whether the foreign keys that reference it are in place.
    static func state(_ env: Env) throws -> String {
        try env.sql(
            env.dst,
            """
            SELECT (SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM app.customers c),
                   (SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f'),
                   (SELECT count(*) FROM pg_class WHERE relname LIKE '%ferry%' AND relkind = 'r'
                    AND relname <> '_ferry_pending_constraints')
            """)
    }

    @Test func aValueTheTargetRejectsMidCopyLeavesTheTargetAndItsForeignKeysAsTheyWere() async throws {
        let env = try Env()
        FaithfulCopyTests.expectSucceeded(await env.run(strategy: .simpleCopy))
        // Ferry does not follow triggers: one of the target's rejects a row in the middle of the COPY.
        try env.sql(
            env.dst,
            """
            CREATE FUNCTION public.reject() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.id = 250 THEN RAISE EXCEPTION 'rejected by the target'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER reject BEFORE INSERT ON app.customers FOR EACH ROW EXECUTE FUNCTION public.reject();
            """)
        try env.sql(env.src, "UPDATE app.customers SET mood = 'happy'")
        let before = try Self.state(env)
        #expect(before.contains("orders_customer_id_fkey"))
        let out = await env.run(["app.customers"], strategy: .simpleCopy)
        let message = Self.failure(out.first)
        #expect(message.contains("rejected by the target"), "\(message)")
        #expect(try Self.state(env) == before)
        let pending = "SELECT count(*) FROM pg_class WHERE relname = '_ferry_pending_constraints'"
        #expect(try env.sql(env.dst, pending) == "0")
        try env.sql(env.dst, "DROP TRIGGER reject ON app.customers; DROP FUNCTION public.reject()")
        FaithfulCopyTests.expectSucceeded(await env.run(strategy: .simpleCopy))
        try env.expectSameSchemaAndRows()
    }

    @Test(arguments: [LoadStrategy.stagingSwap, .simpleCopy])
    func aConnectionCutMidCopyOfAReferencedTableLosesNoForeignKey(strategy: LoadStrategy) async throws {
        let env = try Env()
        try env.sql(
            env.src,
            """
            CREATE TABLE app.big (id bigint PRIMARY KEY, pad text NOT NULL);
            INSERT INTO app.big SELECT i, repeat('x', 200) FROM generate_series(1, 300000) i;
            CREATE TABLE app.kid (id int PRIMARY KEY, big_id bigint NOT NULL REFERENCES app.big);
            INSERT INTO app.kid SELECT i, i * 7 FROM generate_series(1, 1000) i;
            """)
        let specs = [Self.spec("app.big", strategy: strategy), Self.spec("app.kid", strategy: strategy)]
        FaithfulCopyTests.expectSucceeded(await Self.run(env, specs))
        let digest = "SELECT md5(string_agg(b::text, '|' ORDER BY id)) FROM app.big b"
        let keys = "SELECT string_agg(conname, ',') FROM pg_constraint WHERE contype = 'f'"
        #expect(try env.sql(env.dst, keys) == "kid_big_id_fkey")
        let copying = """
            SELECT count(*) FROM pg_stat_progress_copy
            WHERE datname = '\(env.dst)' AND command = 'COPY FROM' AND tuples_processed > 0
            """
        // The cut must land while rows stream in; a load that ends first (a busy machine polls late) is tried again.
        var before = ""
        var cut = false
        for round in 1...4 where !cut {
            try env.sql(env.src, "UPDATE app.big SET pad = 'changed \(round)' WHERE id % 2 = 0")
            before = try env.sql(env.dst, digest)
            let done = Flag()
            let load = Task {
                let out = await Self.run(env, [Self.spec("app.big", strategy: strategy)])
                done.set()
                return out
            }
            try await Wait.until("a COPY into \(env.dst) with rows processed, or the load's end", timeout: 120) {
                try done.isSet || env.sql(env.dst, copying) != "0"
            }
            if !done.isSet {
                try env.sql(
                    env.dst,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_progress_copy WHERE datname = '\(env.dst)'")
            }
            let out = await load.value
            cut = out.first?.status == .failed
            if cut { #expect(out.first?.error?.code == .connection, "\(String(describing: out.first?.error))") }
        }
        #expect(cut, "every load ended before the cut; the test would prove nothing")
        #expect(try env.sql(env.dst, digest) == before)
        #expect(try Self.keptOrSetAside(env.cluster, env.dst, "app", "kid_big_id_fkey") == 1)

        FaithfulCopyTests.expectSucceeded(await Self.run(env, specs))
        #expect(try env.sql(env.dst, digest) == env.sql(env.src, digest))
        #expect(try env.sql(env.dst, keys) == "kid_big_id_fkey")
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_class WHERE relname LIKE '%ferry%'") == "0")
    }

    /// 1 when the foreign key `name` is in place or recorded in `<schema>._ferry_pending_constraints`, 0 when lost.
    static func keptOrSetAside(
        _ cluster: PostgresCluster, _ db: String, _ schema: String, _ name: String
    ) throws -> Int {
        let sql = { (text: String) throws -> String in
            try cluster.psql(text, database: db).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let inPlace = try sql("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conname = '\(name)'")
        let pending = try sql("SELECT to_regclass('\(schema)._ferry_pending_constraints') IS NOT NULL")
        let setAside =
            pending == "t"
            ? try sql("SELECT count(*) FROM \(schema)._ferry_pending_constraints WHERE name = '\(name)'") : "0"
        return (Int(inPlace) ?? 0) + (Int(setAside) ?? 0)
    }

    // MARK: Schema sync, one change at a time

    @Test(arguments: [LoadStrategy.simpleCopy, .stagingSwap])
    func eachSchemaChangeOfTheSourceIsAppliedAndBothDumpsStayEqual(strategy: LoadStrategy) async throws {
        let env = try Env()
        FaithfulCopyTests.expectSucceeded(await env.run(strategy: strategy))
        let changes = [
            "ALTER TABLE app.orders ADD COLUMN prio integer NOT NULL DEFAULT 3",
            "ALTER TABLE app.order_lines ALTER COLUMN sku SET DEFAULT 'x'",
            "ALTER TABLE app.order_lines ALTER COLUMN sku SET DEFAULT 'y'",
            """
            ALTER TABLE app.customers DROP CONSTRAINT customers_email_check,
                ADD CONSTRAINT customers_email_check CHECK (position('@' in email) > 1)
            """,
            "DROP INDEX app.orders_customer; CREATE INDEX orders_customer ON app.orders (customer_id, id)",
            """
            CREATE TABLE audit.events_2028 PARTITION OF audit.events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
            INSERT INTO audit.events (at, kind) VALUES ('2028-03-01', 'later');
            """,
            "COMMENT ON COLUMN app.customers.email IS 'changed'",
            "DROP TABLE audit.events_2026",
        ]
        for change in changes {
            try env.sql(env.src, change)
            let out = await env.run(strategy: strategy)
            FaithfulCopyTests.expectSucceeded(out)
            try env.expectSameSchemaAndRows()
            if out.contains(where: { $0.status != .succeeded }) {
                Issue.record("after: \(change)")
                return
            }
        }
        // A column dropped from the source that holds values in the target: refused, then applied with --force.
        try env.sql(env.src, "ALTER TABLE app.orders DROP COLUMN note")
        let before = try env.dump(env.dst)
        let refused = await env.run(["app.orders"], strategy: strategy)
        let message = Self.failure(refused.first)
        #expect(message.contains("column note of app.orders") && message.contains("--force"), "\(message)")
        #expect(try env.dump(env.dst) == before)
        FaithfulCopyTests.expectSucceeded(await env.run(strategy: strategy, force: true))
        try env.expectSameSchemaAndRows()
    }

    // MARK: Incremental and smart_sync

    @Test func incrementalAndSmartSyncTablesMoveOnlyNewOrChangedRowsAndKeepTheSchema() async throws {
        let env = try Env()
        try env.sql(
            env.src,
            """
            ALTER TABLE app.customers ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2025-01-01';
            UPDATE app.customers SET updated_at = '2025-01-01'::timestamptz + id * interval '1 minute';
            """)
        let specs = [
            Self.spec("app.customers", .incremental, column: "updated_at", type: .datetime),
            Self.spec("app.orders", .incremental, column: "id", type: .identity),
            Self.spec("app.order_lines"),
            Self.spec("audit.events", .smartSync, column: "id", type: .identity),
        ]
        FaithfulCopyTests.expectSucceeded(await Self.run(env, specs, workers: 1))
        try env.expectSameSchemaAndRows()
        try env.sql(
            env.src,
            """
            UPDATE app.customers SET mood = 'happy', updated_at = '2025-03-01' WHERE id <= 5;
            INSERT INTO app.customers (email, updated_at) VALUES ('new1@x.org', '2025-03-01'), ('new2@x.org', '2025-03-01');
            INSERT INTO app.orders (customer_id, quantity) SELECT 301, 2 FROM generate_series(1, 7);
            INSERT INTO audit.events (at, kind) VALUES ('2025-07-01', 'new'), ('2026-07-01', 'new');
            """)
        let second = await Self.run(env, specs, workers: 1)
        FaithfulCopyTests.expectSucceeded(second)
        let written = Dictionary(uniqueKeysWithValues: second.map { ($0.table, $0.rowsWritten) })
        // The datetime watermark is inclusive: the newest unchanged row comes again.
        #expect(written["app.customers"] == 8)
        #expect(written["app.orders"] == 7)
        #expect(written["audit.events"] == 2)
        try env.expectSameSchemaAndRows()
        #expect(
            try env.sql(env.dst, "SELECT last_value FROM app.orders_id_seq")
                == env.sql(env.src, "SELECT last_value FROM app.orders_id_seq"))
    }

    // MARK: Workers

    @Test(arguments: [LoadStrategy.stagingSwap, .simpleCopy])
    func fourWorkersOnRelatedTablesFiveRunsInARowNeverDeadlock(strategy: LoadStrategy) async throws {
        let env = try Env()
        let specs = FaithfulCopyTests.tables.map { Self.spec($0, strategy: strategy) }
        for round in 1...5 {
            try env.sql(env.src, "UPDATE app.orders SET note = 'round \(round)' WHERE id % 5 = \(round % 5)")
            let out = await Self.run(env, specs, workers: 4)
            FaithfulCopyTests.expectSucceeded(out)
            #expect(out.allSatisfy { $0.attempts == 1 }, "round \(round)")
        }
        try env.expectSameSchemaAndRows()
    }

    // MARK: Foreign keys between the run's tables

    @Test(arguments: [LoadStrategy.stagingSwap, .simpleCopy])
    func tablesWhoseForeignKeysFormACycleAreReplacedTogether(strategy: LoadStrategy) async throws {
        let env = try Env()
        try env.sql(
            env.src,
            """
            CREATE TABLE public.a (id int PRIMARY KEY, b_id int);
            CREATE TABLE public.b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES public.a);
            ALTER TABLE public.a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES public.b;
            INSERT INTO public.a SELECT i FROM generate_series(1, 100) i;
            INSERT INTO public.b SELECT i, 101 - i FROM generate_series(1, 100) i;
            UPDATE public.a SET b_id = id;
            """)
        let specs = [Self.spec("public.a", strategy: strategy), Self.spec("public.b", strategy: strategy)]
        for _ in 0..<2 {
            FaithfulCopyTests.expectSucceeded(await Self.run(env, specs))
            try env.sql(env.src, "UPDATE public.b SET a_id = id")
        }
        let keys = "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f'"
        #expect(try env.sql(env.dst, keys) == "a_b_id_fkey,b_a_id_fkey")
        let digest = "SELECT md5(string_agg(b::text, '|' ORDER BY id)) FROM public.b b"
        #expect(try env.sql(env.dst, digest) == env.sql(env.src, digest))
    }

    /// The config lists the child first: the run still loads the parent's new rows before the child's new rows
    /// that reference them, whatever the workers.
    @Test(arguments: [1, 3])
    func anIncrementalChildWhoseNewRowsReferenceNewParentRowsLoadsAfterItsParent(workers: Int) async throws {
        let env = try Env()
        try env.sql(
            env.src,
            """
            CREATE TABLE public.parent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, pad text);
            CREATE TABLE public.child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                       parent_id bigint NOT NULL REFERENCES public.parent);
            CREATE TABLE public.grandchild (id serial PRIMARY KEY, child_id bigint REFERENCES public.child);
            INSERT INTO public.parent (pad) SELECT repeat('p', 100) FROM generate_series(1, 20000);
            INSERT INTO public.child (parent_id) SELECT i FROM generate_series(1, 100) i;
            INSERT INTO public.grandchild (child_id) SELECT i FROM generate_series(1, 100) i;
            """)
        let specs = [
            Self.spec("public.grandchild", .incremental, column: "id", type: .identity),
            Self.spec("public.child", .incremental, column: "id", type: .identity),
            Self.spec("public.parent", .incremental, column: "id", type: .identity),
        ]
        FaithfulCopyTests.expectSucceeded(await Self.run(env, specs, workers: workers))
        try env.sql(
            env.src,
            """
            INSERT INTO public.parent (pad) SELECT repeat('q', 100) FROM generate_series(1, 20000);
            INSERT INTO public.child (parent_id) SELECT 20000 + i FROM generate_series(1, 100) i;
            INSERT INTO public.grandchild (child_id) SELECT 100 + i FROM generate_series(1, 100) i;
            """)
        let out = await Self.run(env, specs, workers: workers)
        FaithfulCopyTests.expectSucceeded(out)
        #expect(out.map(\.table) == specs.map(\.name.description), "outcomes keep the config's order")
        for table in ["parent", "child", "grandchild"] {
            let count = "SELECT count(*) FROM public.\(table)"
            #expect(try env.sql(env.dst, count) == env.sql(env.src, count), "\(table)")
        }
        let keys = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
        #expect(try env.sql(env.dst, keys) == "2")
    }
}

/// Set once by one task, read by another.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
