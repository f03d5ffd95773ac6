import FerryCore
import FerryDelta
import FerryEngine
import FerryPostgres
import FerrySQLite
import FerryTestKit
import Foundation
import GRDB
import Testing

/// Every sync mode between PostgreSQL and SQLite, both ways and PG->PG, against a real server.
@Suite struct CrossDatabaseTests {
    static let pgTable = """
        CREATE TABLE items (
            id bigint PRIMARY KEY, small smallint, medium integer NOT NULL, flag boolean, price numeric(12,2),
            wide numeric(38,10), anynum numeric, ratio real, score double precision, name text, code varchar(12),
            fixed char(4), payload bytea, ref uuid, doc json, docb jsonb, born date, at_time time,
            happened timestamp, happened_tz timestamptz NOT NULL, span interval, addr inet);
        CREATE INDEX items_name ON items (name);
        CREATE UNIQUE INDEX items_ref ON items (ref);
        """

    static let columns = [
        "id", "small", "medium", "flag", "price", "wide", "anynum", "ratio", "score", "name", "code", "fixed",
        "payload", "ref", "doc", "docb", "born", "at_time", "happened", "happened_tz", "span", "addr",
    ]

    /// Row `i`'s literals, in `columns` order.
    static func values(_ i: Int) -> [String] {
        [
            "\(i)", "\(i % 32768)", "\(i * 3)", "\(i % 2 == 0)", "\(i).25",
            "'\(i % 10)12345678901234567890123456.0123456789'", "'\(i).000100'", "\(i).5", "\(i).125",
            i % 7 == 0 ? "NULL" : "'item \(i) ✓ 中文 🚀'", "'c\(i)'", "'ab'",
            "'\\x00ff\(String(format: "%02x", i % 256))'", "'\(String(format: "%08x", i))-e89b-12d3-a456-426614174000'",
            "'{\"k\": \(i)}'", "'{\"k\": [\(i), null]}'", "'1969-07-\(String(format: "%02d", 1 + i % 28))'",
            "'23:59:59.99999\(i % 10)'", "'1900-01-01 00:00:00.00000\(i % 10)'",
            "'2024-02-29 12:34:56.78901\(i % 10)+02'", "'1 day \(i) seconds'", "'10.0.\(i % 256).1'",
        ]
    }

    /// Inserts rows `from...to` into `items`, naming its columns, so a table that lacks some of them (`omitting`)
    /// can be filled too.
    static func fill(
        _ cluster: PostgresCluster, _ db: String, from: Int = 1, to: Int, omitting: Set<String> = []
    ) throws {
        guard to >= from else { return }
        let kept = columns.indices.filter { !omitting.contains(columns[$0]) }
        let rows = (from...to).map { i in
            let v = values(i)
            return "(" + kept.map { v[$0] }.joined(separator: ", ") + ")"
        }
        try cluster.psql(
            "INSERT INTO items (\(kept.map { columns[$0] }.joined(separator: ", "))) VALUES "
                + rows.joined(separator: ",\n"), database: db)
    }

    struct Env {
        let cluster: PostgresCluster
        let dir = TempDirectory("ferry-x")
        let srcDB: String
        let dstDB: String

        init() throws {
            cluster = try PostgresCluster.shared()
            srcDB = try cluster.createDatabase()
            dstDB = try cluster.createDatabase()
        }

        func pg(_ db: String) -> PostgresConnectionConfig {
            PostgresConnectionConfig(
                host: cluster.host, port: cluster.port, database: db, user: cluster.superuser, password: nil)
        }

        var pgSource: PostgresSource { PostgresSource(config: pg(srcDB)) }
        var pgDestination: PostgresDestination { PostgresDestination(config: pg(dstDB)) }
        var pgTarget: PostgresSource { PostgresSource(config: pg(dstDB)) }
        var sqlitePath: String { dir.file("copy.db") }

        func engine(_ source: any Source, _ destination: any Destination) -> Engine {
            Engine(
                source: source, destination: destination, recorder: nil, workers: 2,
                retry: RetryPolicy(maxRetries: 1, baseDelay: 0.01), force: true)
        }
    }

    static func same(
        _ a: any Source, _ b: any Source, _ table: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let x = try contents(a, table)
        let y = try contents(b, table)
        #expect(x.count == y.count, sourceLocation: sourceLocation)
        #expect(x == y, sourceLocation: sourceLocation)
    }

    @Test(arguments: [LoadStrategy.simpleCopy, .stagingSwap])
    func postgresToSQLiteFullReplace(strategy: LoadStrategy) async throws {
        let env = try Env()
        try env.cluster.psql(Self.pgTable, database: env.srcDB)
        try Self.fill(env.cluster, env.srcDB, to: 1200)
        let spec = TableSpec(
            name: TableName(parsing: "public.items"), targetName: TableName(name: "items"), strategy: strategy,
            batchSize: 500)
        let out = await env.engine(env.pgSource, SQLiteDestination(path: env.sqlitePath)).run(
            tables: [spec], runId: "r")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        #expect(out[0].rowsWritten == 1200)
        try Self.same(env.pgSource, SQLiteSource(path: env.sqlitePath), "items")
    }

    @Test func sqliteToPostgresAndBackIsLossless() async throws {
        let env = try Env()
        try env.cluster.psql(Self.pgTable, database: env.srcDB)
        try Self.fill(env.cluster, env.srcDB, to: 300)
        let first = await env.engine(env.pgSource, SQLiteDestination(path: env.sqlitePath)).run(
            tables: [TableSpec(name: TableName(parsing: "public.items"), targetName: TableName(name: "items"))],
            runId: "r1")
        #expect(first[0].status == .succeeded, "\(String(describing: first[0].error))")
        let back = await env.engine(SQLiteSource(path: env.sqlitePath), env.pgDestination).run(
            tables: [TableSpec(name: TableName(name: "items"), strategy: .stagingSwap)], runId: "r2")
        #expect(back[0].status == .succeeded, "\(String(describing: back[0].error))")
        try Self.same(SQLiteSource(path: env.sqlitePath), env.pgTarget, "items")
        let pk = try env.cluster.psql("SELECT count(*) FROM pg_indexes WHERE tablename = 'items'", database: env.dstDB)
        #expect(pk.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
    }

    @Test(arguments: [LoadStrategy.simpleCopy, .stagingSwap])
    func postgresToPostgresFullReplaceIsExact(strategy: LoadStrategy) async throws {
        let env = try Env()
        try env.cluster.psql(Self.pgTable, database: env.srcDB)
        try Self.fill(env.cluster, env.srcDB, to: 700)
        let spec = TableSpec(name: TableName(parsing: "public.items"), strategy: strategy, batchSize: 256)
        var out = await env.engine(env.pgSource, env.pgDestination).run(tables: [spec], runId: "r1")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        try env.cluster.psql(
            "DELETE FROM items WHERE id % 3 = 0; UPDATE items SET name = 'renamed' WHERE id < 50", database: env.srcDB)
        out = await env.engine(env.pgSource, env.pgDestination).run(tables: [spec], runId: "r2")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        try Self.same(env.pgSource, env.pgTarget, "public.items")
        let digest = "SELECT md5(string_agg(i::text, '|' ORDER BY id)) FROM items i"
        #expect(try env.cluster.psql(digest, database: env.srcDB) == env.cluster.psql(digest, database: env.dstDB))
    }

    @Test func incrementalModesPostgresToPostgres() async throws {
        let env = try Env()
        try env.cluster.psql(Self.pgTable, database: env.srcDB)
        try Self.fill(env.cluster, env.srcDB, to: 100)
        let identity = TableSpec(
            name: TableName(parsing: "public.items"), syncMode: .incremental, incrementalColumn: "id",
            incrementalType: .identity)
        _ = await env.engine(env.pgSource, env.pgDestination).run(tables: [identity], runId: "r1")
        try Self.fill(env.cluster, env.srcDB, from: 101, to: 150)
        var out = await env.engine(env.pgSource, env.pgDestination).run(tables: [identity], runId: "r2")
        #expect(out[0].rowsWritten == 50)
        try Self.same(env.pgSource, env.pgTarget, "public.items")
        // Look-back on a timestamptz column, upserted by primary key: updates inside the buffer are refreshed.
        let buffered = TableSpec(
            name: TableName(parsing: "public.items"), syncMode: .incremental, incrementalColumn: "happened_tz",
            incrementalType: .datetime, dateBufferDays: 2)
        try env.cluster.psql(
            "UPDATE items SET name = 'late', happened_tz = now() WHERE id IN (5, 6)", database: env.srcDB)
        out = await env.engine(env.pgSource, env.pgDestination).run(tables: [buffered], runId: "r3")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        try Self.same(env.pgSource, env.pgTarget, "public.items")
        out = await env.engine(env.pgSource, env.pgDestination).run(tables: [buffered], runId: "r4")
        #expect(out[0].rowsRead == 2)
        try Self.same(env.pgSource, env.pgTarget, "public.items")
    }

    @Test func smartSyncSQLiteToPostgres() async throws {
        let env = try Env()
        let shop = env.dir.file("shop.db")
        try writeSQLite(shop) { db in
            try db.execute(
                sql:
                    "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price DECIMAL(10,2), modified TIMESTAMP NOT NULL)"
            )
            for i in 1...40 {
                try db.execute(
                    sql: "INSERT INTO products VALUES (?, ?, ?, ?)",
                    arguments: [i, "p\(i)", Double(i) + 0.99, "2024-01-\(String(format: "%02d", 1 + i % 28)) 10:00:00"])
            }
        }
        let spec = TableSpec(
            name: TableName(name: "products"), syncMode: .smartSync, incrementalColumn: "modified",
            incrementalType: .datetime,
            dateBufferDays: 1, fallbackToFull: true)
        var out = await env.engine(SQLiteSource(path: shop), env.pgDestination).run(tables: [spec], runId: "r1")
        #expect(out[0].modeChosen == "full (target empty)", "\(String(describing: out[0].error))")
        try writeSQLite(shop) { db in
            try db.execute(sql: "UPDATE products SET price = 1.00, modified = '2024-02-01 00:00:00' WHERE id = 3")
            try db.execute(sql: "INSERT INTO products VALUES (41, 'new', 5.5, '2024-02-01 00:00:01')")
        }
        out = await env.engine(SQLiteSource(path: shop), env.pgDestination).run(tables: [spec], runId: "r2")
        #expect(out[0].modeChosen.hasPrefix("incremental"), "\(String(describing: out[0].error))")
        // The watermark is the target's max (2024-01-28 10:00); the 1-day look-back re-reads ids 26 and 27 and
        // picks up the updated id 3 and the new id 41.
        #expect(out[0].rowsWritten == 4)
        try Self.same(SQLiteSource(path: shop), PostgresSource(config: env.pg(env.dstDB)), "products")
    }

    @Test func postgresToDeltaEveryTypeReadsBackThroughDeltaRs() async throws {
        let env = try Env()
        try env.cluster.psql(Self.pgTable, database: env.srcDB)
        try Self.fill(env.cluster, env.srcDB, to: 900)
        try env.cluster.psql(
            "INSERT INTO items (id, medium, happened_tz) VALUES (0, 0, '1970-01-01 00:00:00+00')", database: env.srcDB)
        let lake = env.dir.file("lake")
        let out = await env.engine(env.pgSource, DeltaDestination(root: lake)).run(
            tables: [TableSpec(name: TableName(parsing: "public.items"), batchSize: 256)], runId: "r")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        #expect(out[0].rowsWritten == 901)
        let read: [[String]]? = try deltaContents(lake + "/items")
        let expected = try contents(env.pgSource, "public.items")
        #expect(read?.count == expected.count)
        if let read, let i = (0..<min(read.count, expected.count)).first(where: { read[$0] != expected[$0] }) {
            Issue.record("row \(i) differs:\n delta-rs: \(read[i])\n postgres: \(expected[i])")
        }
    }

    @Test func emptyTablesCopy() async throws {
        let env = try Env()
        try env.cluster.psql(Self.pgTable, database: env.srcDB)
        let out = await env.engine(env.pgSource, env.pgDestination).run(
            tables: [TableSpec(name: TableName(parsing: "public.items"))], runId: "r")
        #expect(out[0].status == .succeeded, "\(String(describing: out[0].error))")
        #expect(out[0].rowsWritten == 0)
        #expect(
            try env.cluster.psql("SELECT count(*) FROM items", database: env.dstDB).trimmingCharacters(
                in: .whitespacesAndNewlines) == "0")
    }
}

/// A synchronous GRDB write (the async overload would be picked inside async tests).
func writeSQLite(_ path: String, _ body: (Database) throws -> Void) throws {
    try DatabaseQueue(path: path).write { db in try body(db) }
}
