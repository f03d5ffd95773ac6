import FerryTestKit
import Foundation
import Testing

/// `ferry init` through the binary: configs written for the quickstart's SQLite shop and for a PostgreSQL schema
/// validate, connect and run; the file is never overwritten without --force, and a URL never carries a password.
@Suite struct InitCommandTests {
    /// The `- {name: …}` line that follows the comment for `table` in a written config.
    static func entry(_ yaml: String, _ table: String) -> String {
        yaml.split(separator: "\n").map(String.init).first { $0.hasPrefix("  - {name: \(table),") } ?? ""
    }

    @Test func sqliteShopConfigValidatesAndRuns() throws {
        let dir = TempDirectory("ferry-init-sqlite")
        let quick = try FerryBinary.run(["quickstart", "--dir", dir.file("demo")])
        #expect(quick.status == 0, "\(quick.stderr)")
        let config = dir.file("conf/ferry.yaml")
        let r = try FerryBinary.run([
            "init", "--source", "sqlite:" + dir.file("demo/shop.db"), "--target", "delta:" + dir.file("lake"),
            "--output", config, "--small-rows", "0",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let yaml = try String(contentsOfFile: config, encoding: .utf8)
        #expect(Self.entry(yaml, "products").contains("incremental_column: last_modified, incremental_type: datetime"))
        #expect(Self.entry(yaml, "products").contains("date_buffer_days: 1"))
        #expect(Self.entry(yaml, "orders").contains("incremental_column: order_id, incremental_type: identity"))
        #expect(Self.entry(yaml, "order_items").contains("sync_mode: full_replace"))
        #expect(yaml.contains("# incremental: last_modified looks like an update time"))
        #expect(yaml.contains("# full_replace: "))

        let validate = try FerryBinary.run(["validate", "-c", config, "--check-connections"])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        for _ in 0..<2 {
            let run = try FerryBinary.run(["run", "-c", config, "--force"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
    }

    @Test func defaultsCopySmallTablesWholeAndJSONNamesEveryTable() throws {
        let dir = TempDirectory("ferry-init-json")
        _ = try FerryBinary.run(["quickstart", "--dir", dir.file("demo")])
        let r = try FerryBinary.run(
            ["init", "--source", "sqlite:demo/shop.db", "--json"], currentDirectory: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let tables = json?["tables"] as? [[String: Any]] ?? []
        #expect(tables.compactMap { $0["name"] as? String } == ["customers", "order_items", "orders", "products"])
        #expect(tables.allSatisfy { $0["sync_mode"] as? String == "full_replace" && $0["reason"] is String })
        #expect(json?["can_stream"] as? Bool == false)
        let run = try FerryBinary.run(["run", "-c", "ferry.yaml", "--force"], currentDirectory: dir.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("lake/orders/_delta_log")))
    }

    @Test func existingOutputNeedsForce() throws {
        let dir = TempDirectory("ferry-init-force")
        _ = try FerryBinary.run(["quickstart", "--dir", dir.file("demo")])
        let config = dir.file("ferry.yaml")
        try "keep me\n".write(toFile: config, atomically: true, encoding: .utf8)
        let args = ["init", "--source", "sqlite:" + dir.file("demo/shop.db"), "--output", config]
        let refused = try FerryBinary.run(args)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("--output") && refused.stderr.contains("--force"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "keep me\n")
        let forced = try FerryBinary.run(args + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: config, encoding: .utf8).contains("tables:"))
    }

    @Test func passwordInTheSourceURLIsRefused() throws {
        let dir = TempDirectory("ferry-init-password")
        let r = try FerryBinary.run(
            ["init", "--source", "postgres://app:secret@localhost:5432/prod", "--output", dir.file("f.yaml")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--source must not carry a password"))
        #expect(!r.stderr.contains("secret"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("f.yaml")))
        let bad = try FerryBinary.run(["init", "--source", "mysql://x/y", "--output", dir.file("f.yaml")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--source"))
    }

    @Test func postgresSchemaGetsCDCFullReplaceAndDatetime() throws {
        let cluster = try PostgresCluster.shared()
        let db = try cluster.createDatabase()
        let role = "init_" + db.replacingOccurrences(of: "ferry_test_", with: "")
        _ = try cluster.psql(
            """
            CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
            CREATE TABLE audit_log (line text, at timestamptz);
            CREATE TABLE products (id int PRIMARY KEY, price numeric(10,2), updated_at timestamptz NOT NULL);
            CREATE INDEX products_updated ON products (updated_at);
            INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 20) g;
            INSERT INTO audit_log SELECT 'l' || g, now() FROM generate_series(1, 5) g;
            INSERT INTO products SELECT g, g, now() FROM generate_series(1, 10) g;
            ANALYZE;
            CREATE ROLE \(role) LOGIN;
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role);
            """, database: db)
        let dir = TempDirectory("ferry-init-pg")
        let url = "postgres://\(cluster.host):\(cluster.port)/\(db)"
        let superuser = ["SOURCE_DB_USER": cluster.superuser]

        // The superuser may replicate and wal_level is logical: keyed tables stream, the keyless one is copied.
        let streaming = dir.file("cdc.yaml")
        let r = try FerryBinary.run(
            [
                "init", "--source", url, "--schema", "public", "--target", "delta:" + dir.file("lake"), "--output",
                streaming, "--small-rows", "0",
            ],
            environment: superuser)
        #expect(r.status == 0, "\(r.stderr)")
        let yaml = try String(contentsOfFile: streaming, encoding: .utf8)
        #expect(Self.entry(yaml, "public.accounts").contains("sync_mode: cdc"))
        #expect(Self.entry(yaml, "public.products").contains("sync_mode: cdc"))
        #expect(Self.entry(yaml, "public.audit_log").contains("sync_mode: full_replace"))
        #expect(yaml.contains("SOURCE_DB_USER") && yaml.contains("SOURCE_DB_PASSWORD"))
        #expect(!yaml.contains("user:") && !yaml.contains("password:"))
        let validate = try FerryBinary.run(
            ["validate", "-c", streaming, "--check-connections"], environment: superuser)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")

        // A role without REPLICATION cannot stream: the update-time table gets a datetime look-back, the identity
        // key an append.
        let batch = dir.file("batch.yaml")
        let user = "postgres://\(role)@\(cluster.host):\(cluster.port)/\(db)"
        let b = try FerryBinary.run([
            "init", "--source", user, "--target", "delta:" + dir.file("lake"), "--output", batch, "--small-rows", "0",
        ])
        #expect(b.status == 0, "\(b.stderr)")
        let text = try String(contentsOfFile: batch, encoding: .utf8)
        #expect(text.contains("has neither REPLICATION nor superuser"))
        #expect(!text.contains(role + "@"))
        #expect(
            Self.entry(text, "public.products").contains(
                "incremental_column: updated_at, incremental_type: datetime, date_buffer_days: 1"))
        #expect(Self.entry(text, "public.accounts").contains("incremental_column: id, incremental_type: identity"))
        #expect(Self.entry(text, "public.audit_log").contains("sync_mode: full_replace"))
        let env = ["SOURCE_DB_USER": role]
        let check = try FerryBinary.run(["validate", "-c", batch, "--check-connections"], environment: env)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let run = try FerryBinary.run(["run", "-c", batch, "--force"], environment: env)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }

    /// `ferry init` on the rich schema, written for a PostgreSQL target, then `ferry run` on its output: the copy
    /// keeps the source's schema (pg_dump of both the same).
    @Test func initOnARichSchemaWritesAConfigThatRunsIntoPostgres() throws {
        let cluster = try PostgresCluster.bulk()
        let src = try cluster.createDatabase()
        let dst = try cluster.createDatabase()
        try cluster.psql(RichSchema.ddl, database: src)
        try cluster.psql(RichSchema.data + "\nANALYZE;", database: src)
        let role = "init_" + src.replacingOccurrences(of: "ferry_test_", with: "")
        try cluster.psql(
            """
            CREATE ROLE \(role) LOGIN;
            GRANT USAGE ON SCHEMA app, audit TO \(role);
            GRANT SELECT ON ALL TABLES IN SCHEMA app, audit TO \(role);
            GRANT SELECT ON ALL SEQUENCES IN SCHEMA app, audit TO \(role);
            """, database: src)
        let dir = TempDirectory("ferry-init-rich")
        let config = dir.file("ferry.yaml")
        let made = try FerryBinary.run([
            "init", "--source", "postgres://\(role)@\(cluster.host):\(cluster.port)/\(src)", "--schema", "app",
            "--schema", "audit", "--target", "postgres://\(cluster.host):\(cluster.port)/\(dst)", "--output", config,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let yaml = try String(contentsOfFile: config, encoding: .utf8)
        for table in RichSchema.tables { #expect(yaml.contains("name: \(table)"), "\(table) in\n\(yaml)") }
        #expect(!yaml.contains("events_2025"), "partitions come with their parent")
        let env = ["SOURCE_DB_USER": role, "TARGET_DB_USER": cluster.superuser]
        let check = try FerryBinary.run(["validate", "-c", config, "--check-connections"], environment: env)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let run = try FerryBinary.run(["run", "-c", config, "--force"], environment: env)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let dump = { (db: String) throws -> String in
            try cluster.pgDump(db, ["--schema-only", "--no-owner", "--no-privileges"])
                .split(separator: "\n").filter { !$0.hasPrefix("-- Dumped ") && !$0.hasPrefix("\\") }
                .joined(separator: "\n")
        }
        #expect(try dump(dst) == dump(src))
        let counts = "SELECT (SELECT count(*) FROM app.orders) || '/' || (SELECT count(*) FROM audit.events)"
        #expect(try cluster.psql(counts, database: dst) == cluster.psql(counts, database: src))
    }
}
