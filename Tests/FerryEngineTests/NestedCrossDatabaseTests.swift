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
        let (schema, read) = try ferryDeltaContents(lake + "/rich")
        #expect(schema.column(named: "span")?.nativeType == "interval")
        #expect(schema.column(named: "things")?.type.isNested == true)
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

    /// Snapshot, then a stream of changes to arrays, composites and intervals, some leaving a TOASTed array
    /// unchanged (the target keeps its value), into Delta (merge-on-read) and SQLite.
    @Test(arguments: [CDCTests.Target.delta, .sqlite])
    func changesToArraysAndCompositesStream(target: CDCTests.Target) async throws {
        let env = try CDCTests.Env(target)
        try env.sql(Self.sql)
        // 2,000 random integers do not compress below the TOAST threshold: stored out of line, sent unchanged.
        try env.sql(
            "ALTER TABLE rich ADD COLUMN big integer[]; "
                + "UPDATE rich SET big = ARRAY(SELECT (random() * 1e9)::integer FROM generate_series(1, 2000)) "
                + "WHERE id % 100 = 0")
        let tables = [TableSpec(name: TableName(parsing: "public.rich"), syncMode: .cdc, batchSize: 128)]
        let first = try await env.run(tables)
        #expect(first.outcomes.allSatisfy { $0.status == .succeeded })
        try expectSame(env, target)
        try env.sql(
            """
            UPDATE rich SET ints = array_append(ints, 99), thing = ROW(id, 'changed', NULL)::item WHERE id % 10 = 0;
            UPDATE rich SET span = '5 days', texts = '{}' WHERE id % 7 = 0;
            UPDATE rich SET things = NULL, ratios = '{NaN,-0}' WHERE id % 11 = 0;
            DELETE FROM rich WHERE id % 13 = 0;
            INSERT INTO rich (id, ints, thing, things) VALUES
                (5000, '{NULL}', ROW(NULL, NULL, NULL)::item, ARRAY[NULL::item, ROW(1, '', 0)::item]);
            """)
        let second = try await env.run(tables)
        #expect(second.outcomes.allSatisfy { $0.status == .succeeded })
        try expectSame(env, target)
    }

    func expectSame(
        _ env: CDCTests.Env, _ target: CDCTests.Target, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let expected = try contents(PostgresSource(config: env.pg(env.srcDB)), "public.rich")
        let actual =
            target == .delta
            ? try ferryDeltaContents(env.dir.file("lake") + "/rich").1
            : try contents(SQLiteSource(path: env.dir.file("copy.db")), "rich")
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        if let i = (0..<min(actual.count, expected.count)).first(where: { actual[$0] != expected[$0] }) {
            Issue.record(
                "\(target) row \(i) differs:\n target: \(actual[i])\n source: \(expected[i])",
                sourceLocation: sourceLocation)
        }
    }
}

/// A Delta table's schema as Ferry reads it, and its live rows through Ferry's own data file reader (as merges
/// and compaction read them), rendered like `contents` renders a source.
func ferryDeltaContents(_ path: String) throws -> (TableSchema, [[String]]) {
    let root = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let writer = try DeltaDestination(root: root).openWriter(TableName(name: name))
    defer { writer.close() }
    guard let schema = try writer.existingSchema() else { return (TableSchema(columns: []), []) }
    let store = LocalLogStore(root: path)
    let snapshot = try DeltaTable(store: store, engineInfo: "test").snapshot()
    let files = DeltaTableFiles(path: path, label: name, options: DeltaWriteOptions(), store: store)
    var rows: [[String]] = []
    for file in snapshot.files.values {
        let reader = try DataFileReader(file, table: files)
        for group in 0..<reader.rowGroupCount {
            let batch = try reader.readLiveRowGroup(group, columns: schema.columns)
            for r in 0..<batch.rowCount {
                rows.append(
                    zip(batch.vectors, batch.columns).map {
                        ScalarValue(vector: $0, row: r, type: $1.type)?.description ?? "NULL"
                    })
            }
        }
    }
    return (schema, rows.sorted { $0.lexicographicallyPrecedes($1) })
}
