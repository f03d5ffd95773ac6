import FerryTestKit
import Foundation
import Testing

/// PostgreSQL -> PostgreSQL through the binary: `--dry-run` prints the DDL a run would execute and changes nothing,
/// and kill -9 while replacing a table other tables reference loses no row and no foreign key.
@Suite struct FaithfulCopyCLITests {
    struct Env {
        let cluster: PostgresCluster
        let src: String
        let dst: String
        let dir = TempDirectory("ferry-faithful-cli")
        var environment: [String: String] {
            ["SOURCE_DB_USER": cluster.superuser, "TARGET_DB_USER": cluster.superuser]
        }
        var config: String { dir.file("ferry.yaml") }

        init(tables: [String], strategy: String, sourceSQL: String) throws {
            cluster = try PostgresCluster.bulk()
            src = try cluster.createDatabase()
            dst = try cluster.createDatabase()
            try cluster.psql(sourceSQL, database: src)
            let yaml = """
                databases:
                  source: {type: postgres, host: \(cluster.host), port: \(cluster.port), database: \(src)}
                  target: {type: postgres, host: \(cluster.host), port: \(cluster.port), database: \(dst)}
                tables:
                \(tables.map { "  - {name: \($0), strategy: \(strategy), batch_size: 5000}" }.joined(separator: "\n"))
                settings: {confirm: false, max_retries: 0}
                """
            try yaml.write(toFile: dir.file("ferry.yaml"), atomically: true, encoding: .utf8)
        }

        /// `pg_dump --schema-only` without the lines that vary by run (the `restrict` keys).
        func dump(_ db: String) throws -> String {
            try cluster.pgDump(db, ["--schema-only", "--no-owner", "--no-privileges"])
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
                .joined(separator: "\n")
        }

        @discardableResult
        func sql(_ db: String, _ text: String) throws -> String {
            try cluster.psql(text, database: db).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func dryRunPrintsTheDDLOfTheSyncAndChangesNothing() throws {
        let env = try Env(
            tables: RichSchema.tables, strategy: "staging_swap", sourceSQL: RichSchema.ddl + RichSchema.data)
        let before = try env.dump(env.dst)
        let r = try FerryBinary.run(["run", "--config", env.config, "--dry-run"], environment: env.environment)
        #expect(r.status == 0, "\(r.stderr)")
        for expected in [
            "CREATE TYPE \"app\".\"mood\" AS ENUM", "CREATE EXTENSION \"citext\" SCHEMA \"public\"",
            "CREATE TABLE \"app\".\"customers\" (", "PARTITION OF \"audit\".\"events\"",
            "COPY \"app\".\"orders\" (",
            "ALTER TABLE \"app\".\"orders\" ADD CONSTRAINT \"orders_pkey\" PRIMARY KEY (id)",
        ] {
            #expect(r.stdout.contains(expected), "missing: \(expected)\n\(r.stdout)")
        }
        #expect(try env.dump(env.dst) == before)
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('app', 'audit')") == "0")

        // Once copied, a dry run of a changed source prints the sync's statements, the refused ones first.
        let run = try FerryBinary.run(["run", "--config", env.config], environment: env.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        try env.sql(
            env.src,
            "ALTER TABLE app.orders ADD COLUMN prio integer NOT NULL DEFAULT 3; ALTER TABLE app.orders DROP COLUMN doc")
        let after = try env.dump(env.dst)
        let plan = try FerryBinary.run(
            ["run", "--config", env.config, "--dry-run", "--table", "app.orders"], environment: env.environment)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("-- would lose data (needs --force): column doc of app.orders"), "\(plan.stdout)")
        #expect(plan.stdout.contains("\"prio\" integer DEFAULT 3 NOT NULL"), "\(plan.stdout)")
        #expect(try env.dump(env.dst) == after)
    }

    @Test func killedStagingSwapOfAReferencedTableKeepsRowsAndForeignKeys() throws {
        let env = try Env(
            tables: ["public.parent", "public.kid"], strategy: "staging_swap",
            sourceSQL: """
                CREATE TABLE parent (id bigint PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
                INSERT INTO parent SELECT i, 'k' || (i % 7), '2024-01-01'::timestamptz + i * interval '1 second'
                FROM generate_series(1, 400000) AS i;
                CREATE TABLE kid (id int PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parent);
                INSERT INTO kid SELECT i, i * 3 FROM generate_series(1, 10000) i;
                """)
        let first = try FerryBinary.run(["run", "--config", env.config], environment: env.environment)
        #expect(first.status == 0, "\(first.stderr)")
        try env.sql(env.src, "UPDATE parent SET kind = 'new' WHERE id % 2 = 0")
        let digest = "SELECT count(*), md5(string_agg(p::text, '|' ORDER BY id)) FROM parent p"
        let before = try env.sql(env.dst, digest)

        let copying = """
            SELECT count(*) FROM pg_stat_progress_copy
            WHERE datname = '\(env.dst)' AND command = 'COPY FROM' AND tuples_processed > 0
            """
        let child = try FerryBinary.start(["run", "--config", env.config], environment: env.environment)
        let waited = Result {
            try Wait.until("a COPY into \(env.dst) with rows processed", timeout: 120) {
                try env.sql(env.dst, copying) != "0"
            }
        }
        child.kill()
        #expect(child.wait() == 128 + SIGKILL, "the run ended before the kill; the test would prove nothing")
        _ = try waited.get()
        #expect(try env.sql(env.dst, digest) == before)
        // In place, or recorded among the keys set aside (the bookkeeping table outlives a killed run).
        let inPlace = try env.sql(env.dst, "SELECT count(*) FROM pg_constraint WHERE conname = 'kid_parent_id_fkey'")
        let setAside =
            try env.sql(env.dst, "SELECT to_regclass('public._ferry_pending_constraints') IS NOT NULL") == "t"
            ? try env.sql(env.dst, "SELECT count(*) FROM public._ferry_pending_constraints") : "0"
        #expect((Int(inPlace) ?? 0) + (Int(setAside) ?? 0) == 1, "the foreign key is neither in place nor set aside")

        let again = try FerryBinary.run(["run", "--config", env.config], environment: env.environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try env.sql(env.src, digest) == env.sql(env.dst, digest))
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_constraint WHERE conname = 'kid_parent_id_fkey'") == "1")
        #expect(try env.sql(env.dst, "SELECT count(*) FROM pg_class WHERE relname LIKE '%ferry%'") == "0")
        #expect(try env.dump(env.src) == env.dump(env.dst))
    }
}
