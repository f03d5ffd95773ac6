import FerryCore
import FerryEngine
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

/// PostgreSQL -> PostgreSQL keeps the source's schema: after a run, `pg_dump --schema-only` of both databases is
/// the same and every row is byte-equal in binary COPY; later runs sync schema changes; foreign keys survive
/// refreshes of the tables they join.
@Suite struct FaithfulCopyTests {
    static let tables = ["app.customers", "app.orders", "app.order_lines", "audit.events"]

    struct Env {
        let cluster: PostgresCluster
        let dir = TempDirectory("ferry-faithful")
        let src: String
        let dst: String

        init() throws {
            cluster = try PostgresCluster.bulk()
            src = try cluster.createDatabase()
            dst = try cluster.createDatabase()
            try cluster.psql(RichSchema.ddl, database: src)
            try cluster.psql(RichSchema.data, database: src)
        }

        func config(_ db: String) -> PostgresConnectionConfig {
            PostgresConnectionConfig(
                host: cluster.host, port: cluster.port, database: db, user: cluster.superuser, password: nil)
        }

        func run(
            _ tables: [String] = FaithfulCopyTests.tables, strategy: LoadStrategy = .stagingSwap,
            syncMode: SyncMode = .fullReplace, force: Bool = false, dryRun: Bool = false
        ) async -> [TableOutcome] {
            let engine = Engine(
                source: PostgresSource(config: config(src)), destination: PostgresDestination(config: config(dst)),
                recorder: nil, workers: 2, retry: RetryPolicy(maxRetries: 0, baseDelay: 0.01), dryRun: dryRun,
                force: true, forceSchemaChanges: force)
            let specs = tables.map { name in
                var spec = TableSpec(name: TableName(parsing: name), strategy: strategy, batchSize: 500)
                spec.syncMode = syncMode
                return spec
            }
            return await engine.run(tables: specs, runId: UUID().uuidString)
        }

        /// `pg_dump --schema-only`, without the lines that name the database or vary by run.
        func dump(_ db: String) throws -> String {
            try cluster.pgDump(db, ["--schema-only", "--no-owner", "--no-privileges"])
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("-- Dumped ") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
                .joined(separator: "\n")
        }

        /// `COPY (SELECT * FROM table ORDER BY key) TO STDOUT (FORMAT binary)`: the exact bytes of every value.
        func binary(_ db: String, _ table: String, orderBy: String) throws -> Data {
            let file = dir.file("\(db)-\(table)-\(UUID().uuidString).bin")
            try cluster.psql(
                "\\copy (SELECT * FROM \(table) ORDER BY \(orderBy)) TO '\(file)' (FORMAT binary)", database: db)
            return try Data(contentsOf: URL(fileURLWithPath: file))
        }

        func expectSameSchemaAndRows(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let a = try dump(src)
            let b = try dump(dst)
            #expect(a.count > 2000, sourceLocation: sourceLocation)
            if a != b {
                let la = a.split(separator: "\n", omittingEmptySubsequences: false)
                let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
                let onlySource = la.filter { !lb.contains($0) }.prefix(15).joined(separator: "\n")
                let onlyTarget = lb.filter { !la.contains($0) }.prefix(15).joined(separator: "\n")
                Issue.record(
                    "schemas differ\n-- only in the source:\n\(onlySource)\n-- only in the target:\n\(onlyTarget)",
                    sourceLocation: sourceLocation)
            }
            for (table, key) in [
                ("app.customers", "id"), ("app.orders", "id"), ("app.order_lines", "order_id, line"),
                ("audit.events", "id, at"),
            ] {
                let x = try binary(src, table, orderBy: key)
                let y = try binary(dst, table, orderBy: key)
                #expect(x.count > 1000, "\(table)", sourceLocation: sourceLocation)
                #expect(x == y, "\(table) differs in binary COPY", sourceLocation: sourceLocation)
            }
        }

        @discardableResult
        func sql(_ db: String, _ text: String) throws -> String {
            try cluster.psql(text, database: db).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func expectSucceeded(_ outcomes: [TableOutcome], sourceLocation: SourceLocation = #_sourceLocation) {
        for o in outcomes {
            #expect(
                o.status == .succeeded, "\(o.table): \(String(describing: o.error))", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [LoadStrategy.stagingSwap, .simpleCopy])
    func aRefreshRecreatesTheSourceSchemaExactly(strategy: LoadStrategy) async throws {
        let env = try Env()
        Self.expectSucceeded(await env.run(strategy: strategy))
        try env.expectSameSchemaAndRows()
        // The second run replaces tables that other tables reference (customers by orders, orders by lines).
        try env.sql(
            env.src,
            "UPDATE app.customers SET mood = 'happy' WHERE id < 20; DELETE FROM app.order_lines WHERE line % 7 = 0")
        Self.expectSucceeded(await env.run(strategy: strategy))
        try env.expectSameSchemaAndRows()
        // Sequences continue where the source's stand.
        #expect(
            try env.sql(env.dst, "SELECT last_value FROM app.orders_id_seq")
                == env.sql(env.src, "SELECT last_value FROM app.orders_id_seq"))
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%ferry%'") == "0")
    }

    @Test func laterRunsApplyTheSourcesSchemaChangesAndRefuseANarrowing() async throws {
        let env = try Env()
        Self.expectSucceeded(await env.run(strategy: .simpleCopy))
        try env.sql(
            env.src,
            """
            ALTER TABLE app.orders ADD COLUMN shipped_at timestamptz DEFAULT now();
            ALTER TABLE app.orders ALTER COLUMN note TYPE varchar(100);
            ALTER TABLE app.customers ALTER COLUMN id TYPE bigint;
            CREATE INDEX orders_shipped ON app.orders (shipped_at DESC NULLS LAST);
            ALTER TYPE app.mood ADD VALUE 'ecstatic';
            ALTER TYPE app.mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';
            ALTER TABLE app.order_lines ALTER COLUMN sku SET DEFAULT 'none';
            UPDATE app.customers SET mood = 'ecstatic' WHERE id % 10 = 0;
            """)
        let plan = await env.run(strategy: .simpleCopy, dryRun: true)
        let statements = plan.flatMap { $0.plan?.writeStatements ?? [] }.joined(separator: "\n")
        #expect(statements.contains("ALTER COLUMN \"note\" TYPE character varying(100)"), "\(statements)")
        #expect(statements.contains("ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok'"))
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_shipped'") == "0")
        Self.expectSucceeded(await env.run(strategy: .simpleCopy))
        try env.expectSameSchemaAndRows()

        // A narrowing that could lose data is refused, and nothing changes.
        try env.sql(env.src, "ALTER TABLE app.orders ALTER COLUMN note TYPE varchar(20)")
        let before = try env.dump(env.dst)
        let refused = await env.run(["app.orders"], strategy: .simpleCopy, force: false)
        #expect(refused[0].status == .failed)
        #expect(refused[0].error?.code == .schema)
        #expect(refused[0].error?.message.contains("column note of app.orders changes from") == true)
        #expect(refused[0].error?.message.contains("--force") == true)
        #expect(try env.dump(env.dst) == before)
        // The same with --force applies it.
        Self.expectSucceeded(await env.run(strategy: .simpleCopy, force: true))
        try env.expectSameSchemaAndRows()
    }

    @Test func aForeignKeyTheDataViolatesIsReportedByNameAndRestoredByALaterRun() async throws {
        let env = try Env()
        Self.expectSucceeded(await env.run())
        // Customers lose rows the target's (not refreshed) orders still reference.
        try env.sql(
            env.src,
            """
            DELETE FROM app.order_lines WHERE order_id IN (SELECT id FROM app.orders WHERE customer_id BETWEEN 100 AND 110);
            UPDATE app.customers SET referrer = NULL WHERE referrer BETWEEN 100 AND 110;
            DELETE FROM app.customers WHERE id BETWEEN 100 AND 110;
            """)
        // The customers loaded; the key belongs to app.orders, which the run did not load: it gets the failure.
        let partial = await env.run(["app.customers"])
        #expect(partial.count == 2)
        #expect(partial.first?.status == .succeeded, "\(String(describing: partial.first?.error))")
        #expect(partial.last?.table == "app.orders" && partial.last?.status == .failed)
        #expect(
            partial.last?.error?.message.contains("orders_customer_id_fkey") == true,
            "\(String(describing: partial.last?.error))")
        #expect(try env.sql(env.dst, "SELECT count(*) FROM app._ferry_pending_constraints") == "1")
        // Refreshing the referencing table too makes the data consistent and the key comes back.
        Self.expectSucceeded(await env.run())
        try env.expectSameSchemaAndRows()
    }

    /// A view has no definition to copy, and a target under another name would take the source's sequence and
    /// index names: both go the portable way, and work.
    @Test func aViewAndARenamedTargetTakeThePortablePath() async throws {
        let env = try Env()
        try env.sql(env.src, "CREATE VIEW app.big_orders AS SELECT id, note FROM app.orders WHERE quantity > 5")
        try env.sql(env.dst, "CREATE SCHEMA app")
        let engine = Engine(
            source: PostgresSource(config: env.config(env.src)),
            destination: PostgresDestination(config: env.config(env.dst)), recorder: nil, workers: 2,
            retry: RetryPolicy(maxRetries: 0, baseDelay: 0.01), force: true)
        let out = await engine.run(
            tables: [
                TableSpec(name: TableName(parsing: "app.big_orders")),
                TableSpec(name: TableName(parsing: "app.orders"), targetName: TableName(parsing: "app.orders_copy")),
            ], runId: "r")
        Self.expectSucceeded(out)
        let count = "SELECT count(*) FROM app.orders WHERE quantity > 5"
        #expect(try env.sql(env.dst, "SELECT count(*) FROM app.big_orders") == env.sql(env.src, count))
        #expect(try env.sql(env.dst, "SELECT count(*) FROM app.orders_copy") == "2000")
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_class WHERE relname = 'orders_id_seq'") == "0")
    }
}
