import FerryCore
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

@Suite struct PostgresDestinationTests {
    /// Source and target databases, the source holding `all_types`.
    func pair() throws -> (src: PGTestDB, dst: PGTestDB) {
        let src = try PGTestDB.make()
        try src.sql(allTypesSQL)
        return (src, try PGTestDB.make())
    }

    func indexes(_ db: PGTestDB, _ table: String) throws -> String {
        try db.sql(
            "SELECT string_agg(indexdef, E'\\n' ORDER BY indexname) FROM pg_indexes WHERE tablename = '\(table)'")
    }

    @Test func simpleCopyCreatesTheTableThenReplacesItsRows() throws {
        let (src, dst) = try pair()
        #expect(try transfer(from: src, to: dst, table: "all_types", mode: .replace(.simpleCopy)) == 3)
        try expectSameRows(src, dst, "all_types")
        #expect(
            try indexes(dst, "all_types") == """
                CREATE INDEX all_types_born_name ON public.all_types USING btree (born, name)
                CREATE UNIQUE INDEX all_types_pkey ON public.all_types USING btree (id)
                CREATE UNIQUE INDEX all_types_uid_key ON public.all_types USING btree (uid)
                """)
        // Native types the destination recreates as they were (built-in ones Ferry reads as text too, and arrays);
        // others (an enum the target does not have) become text.
        #expect(
            try dst.sql(
                """
                SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull
                THEN ' not null' ELSE '' END, ', ' ORDER BY attnum) FROM pg_attribute
                WHERE attrelid = 'all_types'::regclass AND attnum > 0
                """)
                == "id integer not null, flag boolean, small smallint, medium integer, big bigint, r4 real, "
                + "r8 double precision, price numeric(10,2), wide numeric(38,10), anynum numeric, "
                + "bignum numeric(50,5), name text, vc text, ch text, payload bytea, uid uuid, doc json, docb jsonb, born date, "
                + "at_time time without time zone, happened timestamp without time zone, "
                + "happened_tz timestamp with time zone not null, span interval, addr inet, feeling text, tags integer[]"
        )

        try src.sql("UPDATE all_types SET name = 'changed' WHERE id = 1; DELETE FROM all_types WHERE id = 3")
        #expect(try transfer(from: src, to: dst, table: "all_types", mode: .replace(.simpleCopy)) == 2)
        try expectSameRows(src, dst, "all_types")
    }

    @Test func stagingSwapReplacesTheTableWithKeysAndIndexes() throws {
        let (src, dst) = try pair()
        // An older target with different rows and an index that the swap must drop along with it.
        try dst.sql(
            """
            CREATE TABLE all_types (id integer PRIMARY KEY, name text);
            CREATE INDEX all_types_born_name ON all_types (name);
            INSERT INTO all_types VALUES (42, 'old');
            """)
        #expect(try transfer(from: src, to: dst, table: "all_types", mode: .replace(.stagingSwap)) == 3)
        try expectSameRows(src, dst, "all_types")
        #expect(
            try indexes(dst, "all_types") == """
                CREATE INDEX all_types_born_name ON public.all_types USING btree (born, name)
                CREATE UNIQUE INDEX all_types_pkey ON public.all_types USING btree (id)
                CREATE UNIQUE INDEX all_types_uid_key ON public.all_types USING btree (uid)
                """)
        #expect(
            try dst.sql("SELECT conname FROM pg_constraint WHERE conrelid = 'all_types'::regclass AND contype = 'p'")
                == "all_types_pkey")
        #expect(try dst.sql("SELECT count(*) FROM pg_class WHERE relname LIKE '%ferry%'") == "0")
        // Swapping again over the table it created works the same.
        #expect(try transfer(from: src, to: dst, table: "all_types", mode: .replace(.stagingSwap)) == 3)
        try expectSameRows(src, dst, "all_types")
    }

    @Test func indexNamesTakenInTheTargetSchemaGetDerivedNames() throws {
        let db = try PGTestDB.make()
        try db.sql(allTypesSQL)
        // Same database, another table name: the source's index names are taken.
        #expect(
            try transfer(from: db, to: db, table: "all_types", target: "copy_of", mode: .replace(.stagingSwap)) == 3)
        #expect(
            try indexes(db, "copy_of") == """
                CREATE INDEX copy_of_born_name_idx ON public.copy_of USING btree (born, name)
                CREATE UNIQUE INDEX copy_of_pkey ON public.copy_of USING btree (id)
                CREATE UNIQUE INDEX copy_of_uid_idx ON public.copy_of USING btree (uid)
                """)
        try expectSameRows(db, db, "all_types", "copy_of")
    }

    @Test func largeLoadsStreamInChunks() throws {
        let src = try PGTestDB.make()
        let dst = try PGTestDB.make()
        // About 4 MiB of COPY data: several 1 MiB chunks, batch boundaries inside chunks and the other way round.
        try src.sql(
            """
            CREATE TABLE wide (id bigint PRIMARY KEY, note text, amount numeric(14,4), at timestamptz, uid uuid);
            INSERT INTO wide SELECT i, repeat(md5(i::text), 1 + i % 3), (i * 7919 % 1000003) / 10000.0 - 50,
                   '2000-01-01 00:00:00+00'::timestamptz + i * interval '1.000001 seconds', md5(i::text)::uuid
            FROM generate_series(1, 40000) AS i;
            """)
        #expect(try transfer(from: src, to: dst, table: "wide", mode: .replace(.stagingSwap), batchSize: 7000) == 40000)
        let query = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY id)) FROM wide t"
        let expected = try src.sql(query)
        let actual = try dst.sql(query)
        #expect(actual == expected)
    }

    @Test func appendAddsRowsAndWidensIntoLargerColumns() throws {
        let src = try PGTestDB.make()
        let dst = try PGTestDB.make()
        try src.sql(
            """
            CREATE TABLE items (id integer PRIMARY KEY, qty smallint, price numeric(8,2), ip text, created date);
            INSERT INTO items VALUES (1, 5, 1.25, '10.0.0.1', '2024-01-01'), (2, -7, -0.5, '::1', '1999-12-31'),
                                     (3, NULL, 99999.99, NULL, NULL);
            """)
        // The target's columns are wider than the source's, and ip is inet (reached through a text cast).
        try dst.sql(
            """
            CREATE TABLE items (id bigint PRIMARY KEY, qty bigint, price numeric(20,4), ip inet, created date,
                                extra text);
            INSERT INTO items (id, qty) VALUES (0, 0);
            """)
        #expect(try transfer(from: src, to: dst, table: "items", mode: .append) == 3)
        #expect(
            try dst.sql("SELECT id, qty, price, ip, created, extra FROM items ORDER BY id")
                == """
                0|0||||
                1|5|1.2500|10.0.0.1|2024-01-01|
                2|-7|-0.5000|::1|1999-12-31|
                3||99999.9900|||
                """)
        // Appending only rows past a watermark.
        try src.sql("INSERT INTO items VALUES (4, 1, 0, '127.0.0.1', '2025-01-01')")
        let past = RowFilter(column: "id", comparison: .greaterThan, value: .int(3))
        #expect(try transfer(from: src, to: dst, table: "items", mode: .append, filter: past) == 1)
        let ips = try dst.sql("SELECT count(*), string_agg(format('%s', ip), ',' ORDER BY id) FROM items")
        #expect(ips == "5|,10.0.0.1,::1,,127.0.0.1")
    }

    @Test func upsertUpdatesExistingRowsWithoutDuplicates() throws {
        let (src, dst) = try pair()
        try transfer(from: src, to: dst, table: "all_types", mode: .replace(.simpleCopy))
        try src.sql(
            """
            UPDATE all_types SET name = 'updated', wide = 0.0000000001 WHERE id = 1;
            UPDATE all_types SET flag = true WHERE id = 3;
            INSERT INTO all_types (id, name, happened_tz) VALUES (4, 'new', '2025-01-01 00:00:00+00');
            """)
        #expect(try transfer(from: src, to: dst, table: "all_types", mode: .upsert(key: ["id"])) == 4)
        try expectSameRows(src, dst, "all_types")
        #expect(try dst.sql("SELECT count(*), count(DISTINCT id) FROM all_types") == "4|4")
        // Upserting a subset leaves the other rows alone.
        try src.sql("UPDATE all_types SET name = 'again' WHERE id = 4")
        let onlyNew = RowFilter(column: "id", comparison: .greaterThanOrEqual, value: .int(4))
        #expect(try transfer(from: src, to: dst, table: "all_types", mode: .upsert(key: ["id"]), filter: onlyNew) == 1)
        try expectSameRows(src, dst, "all_types")
    }

    @Test func upsertWithoutAUniqueKeyIsASchemaError() throws {
        let src = try PGTestDB.make()
        let dst = try PGTestDB.make()
        try src.sql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')")
        try dst.sql("CREATE TABLE t (id int, v text)")
        let error = #expect(throws: FerryError.self) {
            try transfer(from: src, to: dst, table: "t", mode: .upsert(key: ["id"]))
        }
        #expect(error?.code == .schema)
    }

    @Test func newSourceColumnsAreAddedAndIncompatibleTypesFail() throws {
        let src = try PGTestDB.make()
        let dst = try PGTestDB.make()
        try src.sql(
            "CREATE TABLE t (id int PRIMARY KEY, v text, added date); INSERT INTO t VALUES (1, 'x', '2024-05-06')")
        try dst.sql("CREATE TABLE t (id int PRIMARY KEY, v text, legacy int); INSERT INTO t VALUES (9, 'old', 1)")
        #expect(try transfer(from: src, to: dst, table: "t", mode: .append) == 1)
        #expect(try dst.sql("SELECT id, v, legacy, added FROM t ORDER BY id") == "1|x||2024-05-06\n9|old|1|")

        try dst.sql("CREATE TABLE u (id int PRIMARY KEY, v integer); INSERT INTO u VALUES (1, 1)")
        try src.sql("CREATE TABLE u (id int PRIMARY KEY, v text); INSERT INTO u VALUES (2, 'two')")
        for mode in [WriteMode.replace(.simpleCopy), .append, .upsert(key: ["id"])] {
            let error = #expect(throws: FerryError.self) { try transfer(from: src, to: dst, table: "u", mode: mode) }
            #expect(error?.code == .schema)
            #expect(error?.message.contains("column v") == true)
            #expect(error?.message.contains("integer") == true)
        }
        #expect(try dst.fingerprint("u") == "1:\n(1,1)")
        // A NOT NULL target column the source lacks cannot be filled.
        try dst.sql("CREATE TABLE w (id int PRIMARY KEY, must text NOT NULL)")
        try src.sql("CREATE TABLE w (id int PRIMARY KEY); INSERT INTO w VALUES (1)")
        let notNull = #expect(throws: FerryError.self) { try transfer(from: src, to: dst, table: "w", mode: .append) }
        #expect(notNull?.code == .schema)
    }

    @Test func abortLeavesTheTargetAsItWas() throws {
        let (src, dst) = try pair()
        try transfer(from: src, to: dst, table: "all_types", mode: .replace(.simpleCopy))
        let before = try dst.fingerprint("all_types")
        for mode in [WriteMode.replace(.simpleCopy), .replace(.stagingSwap), .append, .upsert(key: ["id"])] {
            let reader = try src.source.openReader(TableName(name: "all_types"))
            defer { reader.close() }
            let writer = try dst.destination.openWriter(TableName(name: "all_types"))
            defer { writer.close() }
            try writer.begin(schema: reader.schema, mode: mode)
            _ = try reader.read(filter: nil, limit: nil, batchSize: 2) { (b: RecordBatch) throws(FerryError) in
                try writer.write(b)
            }
            writer.abort()
            #expect(try dst.fingerprint("all_types") == before, "after aborting \(mode)")
        }
        #expect(try dst.sql("SELECT count(*) FROM pg_class WHERE relname LIKE '%ferry%'") == "0")
        // A failing commit (duplicate keys in an append) rolls back too.
        let error = #expect(throws: FerryError.self) {
            try transfer(from: src, to: dst, table: "all_types", mode: .append)
        }
        #expect(error?.code == .database)
        #expect(error?.sqlState == "23505")
        #expect(try dst.fingerprint("all_types") == before)
        // And a table that did not exist is not left behind by an aborted first load.
        let writer = try dst.destination.openWriter(TableName(name: "never"))
        try writer.begin(schema: TableSchema(columns: [Column(name: "id", type: .int64)]), mode: .append)
        writer.abort()
        writer.close()
        #expect(try dst.sql("SELECT to_regclass('never') IS NULL") == "t")
    }

    @Test func watermarksReadBackExactly() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE w (id bigint, d date, ts timestamp, tz timestamptz, amount numeric(12,3), name text);
            """)
        let writer = try db.destination.openWriter(TableName(name: "w"))
        defer { writer.close() }
        #expect(try writer.maxValue(of: "id", type: .int64) == nil)
        try db.sql(
            """
            INSERT INTO w VALUES (7, '1969-07-20', '2024-01-02 03:04:05.000006', '2024-01-02 03:04:05.123456-05',
                                  -1.5, 'b'),
                                 (3, '1900-01-01', '1901-01-01 00:00:00', '1900-01-01 00:00:00+00', -2.25, 'a');
            """)
        #expect(try writer.rowCount() == 2)
        #expect(try writer.maxValue(of: "id", type: .int64) == .int(7))
        #expect(try writer.maxValue(of: "d", type: .date) == .date(TimeText.days(year: 1969, month: 7, day: 20)))
        #expect(
            try writer.maxValue(of: "ts", type: .timestamp)
                == .timestamp(micros("2024-01-02 03:04:05.000006"), zoned: false))
        #expect(
            try writer.maxValue(of: "tz", type: .timestampTZ)
                == .timestamp(micros("2024-01-02 08:04:05.123456Z"), zoned: true))
        #expect(try writer.maxValue(of: "amount", type: .decimal(precision: 12, scale: 3)) == .decimal(-1500, scale: 3))
        #expect(try writer.maxValue(of: "name", type: .text) == .text("b"))
        let missing = #expect(throws: FerryError.self) { _ = try writer.maxValue(of: "nope", type: .int64) }
        #expect(missing?.code == .schema)
        let absent = try db.destination.openWriter(TableName(name: "absent"))
        defer { absent.close() }
        #expect(try absent.existingSchema() == nil)
        #expect(try absent.rowCount() == 0)
        #expect(try absent.maxValue(of: "id", type: .int64) == nil)
    }

    @Test func recoverDropsLeftoversAndDescribeWriteListsTheStatements() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE t__ferry_staging (x int); CREATE TABLE t__ferry_old (x int)")
        let writer = try db.destination.openWriter(TableName(name: "t"))
        defer { writer.close() }
        try writer.recover()
        #expect(try db.sql("SELECT count(*) FROM pg_class WHERE relname LIKE 't__ferry%'") == "0")
        let schema = TableSchema(
            columns: [Column(name: "id", type: .int64, nullable: false), Column(name: "v", type: .text)],
            primaryKey: ["id"], indexes: [IndexSpec(name: "t_v", columns: ["v"], unique: false)])
        let swap = writer.describeWrite(schema: schema, mode: .replace(.stagingSwap))
        #expect(swap.first == "DROP TABLE IF EXISTS \"public\".\"t__ferry_staging\"")
        #expect(swap.contains("COPY \"public\".\"t__ferry_staging\" (\"id\", \"v\") FROM STDIN (FORMAT binary)"))
        #expect(swap.contains("ALTER TABLE \"public\".\"t__ferry_staging\" RENAME TO \"t\""))
        #expect(swap.last == "COMMIT")
        let upsert = writer.describeWrite(schema: schema, mode: .upsert(key: ["id"]))
        #expect(upsert.contains { $0.hasPrefix("INSERT INTO \"public\".\"t\"") && $0.contains("ON CONFLICT (\"id\")") })
        // Nothing was executed.
        #expect(try writer.existingSchema() == nil)
    }
}
