import DeltaLake
import FerryCore
import FerryEngine
import FerryPostgres
import FerrySQLite
import FerryTestKit
import Foundation
import Testing

@testable import FerryDelta

/// PostgreSQL arrays, composites and text-carried types copied to Delta and SQLite by the engine, end to end
/// against a real server: every value reads back as the source has it.
@Suite struct NestedCrossDatabaseTests {
    static let sql = """
        CREATE TYPE item AS (n integer, label text, amount numeric);
        CREATE TABLE rich (
            id integer PRIMARY KEY, ints integer[], texts text[], prices numeric(10,2)[], stamps timestamptz[],
            ids uuid[], thing item, span interval, things item[], ratios float8[], r float8
        );
        INSERT INTO rich VALUES
        (1, '{1,NULL,3}', ARRAY['a "b"', NULL, '', 'x,y', E'back\\\\slash', 'NULL', ' sp ', 'ünï'],
         '{1.50,NULL,-2.00}', '{"2024-01-01 00:00:00+00",NULL}', '{123e4567-e89b-12d3-a456-426614174000}',
         ROW(1, 'x y', 1.5), '1 year 2 mons 3 days 04:05:06.789',
         ARRAY[ROW(1, 'a,b', NULL)::item, NULL, ROW(NULL, E'q"\\\\', 2)::item], '{NaN,-0,Infinity,0.25}', 'NaN'),
        (2, '{}', '{}', '{}', '{}', '{}', ROW(NULL, '', NULL), '0', '{}', '{}', '-0'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity');
        INSERT INTO rich SELECT i, ARRAY[i, NULL, -i], ARRAY['t' || i], NULL, NULL, NULL, ROW(i, 'l' || i, i * 0.5)::item,
            (i || ' days')::interval, ARRAY[ROW(i, NULL::text, NULL::numeric)::item], ARRAY[i / 4.0], i / 8.0
            FROM generate_series(4, 1500) i;
        """

    func run(_ env: CrossDatabaseTests.Env, _ destination: any Destination) async -> TableOutcome {
        let out = await env.engine(env.pgSource, destination).run(
            tables: [
                TableSpec(name: TableName(parsing: "public.rich"), targetName: TableName(name: "rich"), batchSize: 256)
            ],
            runId: "r")
        return out[0]
    }

    @Test func postgresToDeltaKeepsArraysCompositesAndIntervals() async throws {
        let env = try CrossDatabaseTests.Env()
        try env.cluster.psql(Self.sql, database: env.srcDB)
        let lake = env.dir.file("lake")
        let outcome = await run(env, DeltaDestination(root: lake))
        #expect(outcome.status == .succeeded, "\(String(describing: outcome.error))")
        #expect(outcome.rowsWritten == 1500)
        // Ferry's own reader, with the types it reads from the table's schema.
        let writer = try DeltaDestination(root: lake).openWriter(TableName(name: "rich"))
        defer { writer.close() }
        let schema = try #require(try writer.existingSchema())
        #expect(schema.column(named: "span")?.nativeType == "interval")
        #expect(schema.column(named: "things")?.type.isNested == true)
        let store = LocalLogStore(root: lake + "/rich")
        let snapshot = try DeltaTable(store: store, engineInfo: "test").snapshot()
        let files = DeltaTableFiles(path: lake + "/rich", label: "rich", options: DeltaWriteOptions(), store: store)
        var read: [[String]] = []
        for file in snapshot.files.values {
            let reader = try DataFileReader(file, table: files)
            for group in 0..<reader.rowGroupCount {
                let batch = try reader.readLiveRowGroup(group, columns: schema.columns)
                for r in 0..<batch.rowCount {
                    read.append(
                        zip(batch.vectors, batch.columns).map {
                            ScalarValue(vector: $0, row: r, type: $1.type)?.description ?? "NULL"
                        })
                }
            }
        }
        read.sort { $0.lexicographicallyPrecedes($1) }
        let expected = try contents(env.pgSource, "public.rich")
        #expect(read.count == expected.count)
        if let i = (0..<min(read.count, expected.count)).first(where: { read[$0] != expected[$0] }) {
            Issue.record("row \(i) differs:\n Delta: \(read[i])\n postgres: \(expected[i])")
        }
        // delta-rs reads every row, the arrays as lists and the composites as structs.
        let shape =
            try Python.json(
                Python.readDelta + """
                    import sys, json, pyarrow as pa
                    t = read_delta(sys.argv[1])
                    one = [r for r in t.to_pylist() if r["id"] == 1][0]
                    print(json.dumps({"rows": t.num_rows, "ints": one["ints"], "thing": one["thing"],
                                      "things": str(t.schema.field("things").type)}))
                    """, [lake + "/rich"]) as? [String: Any] ?? [:]
        #expect(shape["rows"] as? Int == 1500)
        #expect((shape["ints"] as? [Any])?.count == 3)
        #expect((shape["thing"] as? [String: Any])?["label"] as? String == "x y")
        #expect((shape["things"] as? String)?.hasPrefix("list<element: struct<n: int32") == true, "\(shape)")
    }

    @Test func postgresToSQLiteKeepsArraysAndCompositesAsJSON() async throws {
        let env = try CrossDatabaseTests.Env()
        try env.cluster.psql(Self.sql, database: env.srcDB)
        let outcome = await run(env, SQLiteDestination(path: env.sqlitePath))
        #expect(outcome.status == .succeeded, "\(String(describing: outcome.error))")
        #expect(outcome.rowsWritten == 1500)
        let copied = try contents(SQLiteSource(path: env.sqlitePath), "rich")
        let expected = try contents(env.pgSource, "public.rich")
        #expect(copied.count == expected.count)
        if let i = (0..<min(copied.count, expected.count)).first(where: { copied[$0] != expected[$0] }) {
            Issue.record("row \(i) differs:\n SQLite: \(copied[i])\n postgres: \(expected[i])")
        }
    }
}
