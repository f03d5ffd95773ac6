import FerryTestKit
import Foundation
import Testing

/// kill -9 in the middle of a PostgreSQL run: the target keeps its previous table and the next run ends exact.
@Suite struct PostgresKillTests {
    @Test(arguments: ["simple_copy", "staging_swap"])
    func killedPostgresRunFollowedByANormalRunEndsExact(strategy: String) throws {
        let cluster = try PostgresCluster.shared()
        let src = try cluster.createDatabase()
        let dst = try cluster.createDatabase()
        try cluster.psql(
            """
            CREATE TABLE big (id bigint PRIMARY KEY, kind text NOT NULL, amount numeric(12,2), at timestamptz NOT NULL);
            CREATE INDEX big_kind ON big (kind);
            INSERT INTO big SELECT i, 'k' || (i % 7), i / 100.0, '2024-01-01'::timestamptz + i * interval '1 second'
            FROM generate_series(1, 400000) AS i;
            """, database: src)
        let dir = TempDirectory("ferry-pgkill")
        let config = """
            databases:
              source: {type: postgres, host: \(cluster.host), port: \(cluster.port), database: \(src)}
              target: {type: postgres, host: \(cluster.host), port: \(cluster.port), database: \(dst)}
            tables:
              - {name: public.big, strategy: \(strategy), batch_size: 5000}
            settings: {confirm: false, max_retries: 0}
            """
        try config.write(toFile: dir.file("ferry.yaml"), atomically: true, encoding: .utf8)
        let env = ["SOURCE_DB_USER": cluster.superuser, "TARGET_DB_USER": cluster.superuser]
        let first = try FerryBinary.run(["run", "--config", dir.file("ferry.yaml")], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        try cluster.psql("DELETE FROM big WHERE id % 4 = 0; UPDATE big SET kind = 'new'", database: src)

        // The kill comes once rows stream into the target: its COPY has processed some.
        let copying = """
            SELECT count(*) FROM pg_stat_progress_copy
            WHERE datname = '\(dst)' AND command = 'COPY FROM' AND tuples_processed > 0
            """
        let child = try FerryBinary.start(["run", "--config", dir.file("ferry.yaml")], environment: env)
        let waited = Result {
            try Wait.until("a COPY into \(dst) with rows processed (pg_stat_progress_copy)", timeout: 120) {
                try cluster.psql(copying, database: dst).trimmingCharacters(in: .whitespacesAndNewlines) != "0"
            }
        }
        child.kill()
        #expect(child.wait() == 128 + SIGKILL, "the run ended before the kill; the test would prove nothing")
        _ = try waited.get()
        // Old table or new table, never a mix or an empty one.
        let mid = try cluster.psql("SELECT count(*), count(*) FILTER (WHERE kind = 'new') FROM big", database: dst)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mid == "400000|0" || mid == "300000|300000", "\(mid)")

        let again = try FerryBinary.run(["run", "--config", dir.file("ferry.yaml")], environment: env)
        #expect(again.status == 0, "\(again.stderr)")
        let digest = "SELECT count(*), md5(string_agg(b::text, '|' ORDER BY id)) FROM big b"
        #expect(try cluster.psql(digest, database: src) == cluster.psql(digest, database: dst))
        let leftovers = try cluster.psql("SELECT count(*) FROM pg_class WHERE relname LIKE '%ferry%'", database: dst)
        #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let indexes = try cluster.psql("SELECT count(*) FROM pg_indexes WHERE tablename = 'big'", database: dst)
        #expect(indexes.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }
}
