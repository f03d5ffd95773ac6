import FerryCore
import FerryDelta
import FerryEngine
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

/// PostgreSQL -> Delta -> PostgreSQL: arrays and composites land as Delta arrays and structs, the other
/// PostgreSQL types as strings that remember their type (`ferry.type`), and reading the lake back into PostgreSQL
/// gives the source's column types and values.
@Suite struct LakeRoundTripTests {
    static let table = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TYPE item AS (sku text, qty integer, price numeric(10,2));
        CREATE TABLE things (
            id bigint PRIMARY KEY, counts integer[], names text[], prices numeric(10,2)[], seen timestamptz[],
            ids uuid[], part item, span interval, addr inet, net cidr, feeling mood, slot int4range,
            doc jsonb, at timestamptz, price numeric(12,2));
        INSERT INTO things
        SELECT i,
               CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN '{}' ELSE ARRAY[i, NULL, -i] END,
               CASE WHEN i % 4 = 0 THEN NULL ELSE ARRAY['a' || i, NULL, 'quote " comma , brace }', ''] END,
               ARRAY[i * 1.25, NULL]::numeric(10,2)[],
               ARRAY['2025-01-01 00:00:00+00'::timestamptz + i * interval '1 minute'],
               ARRAY[md5(i::text)::uuid],
               CASE WHEN i % 3 = 0 THEN NULL ELSE ROW('sku ' || i, i, i * 0.5)::item END,
               make_interval(0, i % 13, 0, i % 30, 0, 0, i / 7.0), ('10.0.' || (i % 256) || '.1/24')::inet,
               '192.168.0.0/16', (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood, int4range(i, i + 10),
               jsonb_build_object('i', i), '2025-06-01'::timestamptz + i * interval '1 hour', i * 1.01
        FROM generate_series(1, 400) i;
        """

    @Test func postgresToDeltaAndBackKeepsTypesAndValues() async throws {
        let cluster = try PostgresCluster.bulk()
        let src = try cluster.createDatabase()
        let dst = try cluster.createDatabase()
        let dir = TempDirectory("ferry-lake-round-trip")
        try cluster.psql(Self.table, database: src)
        // The database the lake is restored into has the application's types, as a UAT database would.
        try cluster.psql(
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TYPE item AS (sku text, qty integer, price numeric(10,2))",
            database: dst)
        func config(_ db: String) -> PostgresConnectionConfig {
            PostgresConnectionConfig(
                host: cluster.host, port: cluster.port, database: db, user: cluster.superuser, password: nil)
        }
        let lake = dir.file("lake")
        let retry = RetryPolicy(maxRetries: 0, baseDelay: 0.01)
        let toLake = await Engine(
            source: PostgresSource(config: config(src)), destination: DeltaDestination(root: lake), recorder: nil,
            workers: 1, retry: retry, force: true
        ).run(
            tables: [TableSpec(name: TableName(parsing: "public.things"), targetName: TableName(name: "things"))],
            runId: "a")
        #expect(toLake[0].status == .succeeded, "\(String(describing: toLake[0].error))")

        // Independent readers see lists and structs.
        let probe = try Python.run(
            """
            import json, sys
            from deltalake import DeltaTable
            import polars as pl
            t = DeltaTable(sys.argv[1])
            fields = {f.name: f.type for f in t.schema().fields}
            rows = t.to_pyarrow_table().sort_by('id').to_pylist()
            df = pl.read_delta(sys.argv[1]).sort('id')
            print(json.dumps({
              'counts': str(fields['counts']), 'part': str(fields['part']),
              'row2_counts': rows[1]['counts'], 'row2_names': rows[1]['names'], 'row2_part': rows[1]['part'],
              'polars_counts': str(df.schema['counts']), 'polars_row2': df.row(1, named=True)['counts'],
              'polars_part': df.row(1, named=True)['part']}, default=str))
            """, [lake + "/things"])
        #expect(probe.contains("\"row2_counts\": [2, null, -2]"), "\(probe)")
        #expect(probe.contains("\"row2_names\": [\"a2\", null, \"quote \\\" comma , brace }\", \"\"]"), "\(probe)")
        #expect(probe.contains("\"row2_part\": {\"sku\": \"sku 2\", \"qty\": 2"), "\(probe)")
        #expect(probe.contains("\"polars_row2\": [2, null, -2]"), "\(probe)")
        #expect(probe.contains("\"polars_counts\": \"List(Int32)\""), "\(probe)")

        let back = await Engine(
            source: DeltaSource(root: lake), destination: PostgresDestination(config: config(dst)), recorder: nil,
            workers: 1, retry: retry, force: true
        ).run(
            tables: [TableSpec(name: TableName(name: "things"), targetName: TableName(parsing: "public.things"))],
            runId: "b")
        #expect(back[0].status == .succeeded, "\(String(describing: back[0].error))")

        let types = """
            SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
            FROM pg_attribute WHERE attrelid = 'public.things'::regclass AND attnum > 0 AND NOT attisdropped
            """
        let restored = try cluster.psql(types, database: dst)
        let original = try cluster.psql(types, database: src)
        #expect(restored == original)
        let rows = "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) || ' ' || count(*) FROM things t"
        #expect(try cluster.psql(rows, database: dst) == cluster.psql(rows, database: src))
    }
}
