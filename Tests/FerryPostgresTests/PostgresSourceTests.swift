import FerryCore
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

/// A table with every mapped type, some unmapped ones, and rows of extremes, empties and NULLs.
let allTypesSQL = """
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE all_types (
        id integer PRIMARY KEY, flag boolean, small smallint, medium integer, big bigint, r4 real,
        r8 double precision, price numeric(10,2), wide numeric(38,10), anynum numeric, bignum numeric(50,5),
        name text, vc varchar(20), ch char(4), payload bytea, uid uuid, doc json, docb jsonb, born date,
        at_time time, happened timestamp, happened_tz timestamptz NOT NULL, span interval, addr inet,
        feeling mood, tags integer[]
    );
    CREATE UNIQUE INDEX all_types_uid_key ON all_types (uid);
    CREATE INDEX all_types_born_name ON all_types (born, name);
    CREATE INDEX all_types_lower_name ON all_types (lower(name));
    CREATE INDEX all_types_positive ON all_types (small) WHERE small > 0;
    INSERT INTO all_types VALUES
    (1, true, -32768, 2147483647, -9223372036854775808, 1.5, 3.141592653589793, 19.99,
     9999999999999999999999999999.9999999999, 123456789012345678901234567890.123456789, 1.5,
     'héllo 🌍 中文', 'abc', 'ab', '\\x00ff10', '123e4567-e89b-12d3-a456-426614174000', '{"a": [1, 2]}',
     '{"b": 1, "a": 2}', '1969-07-20', '23:59:59.999999', '1900-01-01 00:00:00.000001',
     '2024-02-29 12:34:56.789012+00', '1 year 2 mons 3 days 04:05:06.7', '192.168.1.5/24', 'happy', '{1,NULL,3}'),
    (2, false, 0, 0, 0, 0, '-0', -0.05, -9999999999999999999999999999.9999999999, -0.00012, 'NaN',
     '', '', '', '\\x', '00000000-0000-0000-0000-000000000000', '[]', '{}', '2000-01-01', '00:00:00',
     '1970-01-01 00:00:00', '1969-12-31 23:59:59.999999+00', '0', '::1', 'sad', '{}'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, '2024-06-01 10:00:00+02', NULL, NULL, NULL, NULL);
    """

@Suite struct PostgresSourceTests {
    @Test func schemaIsIntrospectedFromTheCatalog() throws {
        let db = try PGTestDB.make()
        try db.sql(allTypesSQL)
        let (schema, _, _) = try readAll(db, "all_types")
        let types = schema.columns.map(\.type)
        #expect(
            types == [
                .int32, .boolean, .int16, .int32, .int64, .float32, .float64, .decimal(precision: 10, scale: 2),
                .decimal(precision: 38, scale: 10), .numeric, .numeric, .text, .text, .text, .bytes, .uuid, .json,
                .jsonb, .date, .time, .timestamp, .timestampTZ, .text, .text, .text, .list(.int32),
            ])
        #expect(schema.primaryKey == ["id"])
        #expect(
            schema.indexes == [
                IndexSpec(name: "all_types_born_name", columns: ["born", "name"], unique: false),
                IndexSpec(name: "all_types_uid_key", columns: ["uid"], unique: true),
            ])
        #expect(schema.column(named: "id")?.nullable == false)
        #expect(schema.column(named: "happened_tz")?.nullable == false)
        #expect(schema.column(named: "flag")?.nullable == true)
        #expect(schema.column(named: "vc")?.nativeType == "character varying(20)")
        #expect(schema.column(named: "bignum")?.nativeType == "numeric(50,5)")
        #expect(schema.column(named: "span")?.nativeType == "interval")
    }

    @Test func everyTypeDecodesExactly() throws {
        let db = try PGTestDB.make()
        try db.sql(allTypesSQL)
        let (_, batches, total) = try readAll(db, "all_types")
        #expect(total == 3)
        #expect(batches.count == 1)
        let b = try #require(batches.first)
        // Rows come back in insertion order from a fresh heap table.
        func v(_ name: String) throws -> ColumnVector { try #require(b.vector(name)) }
        #expect(try v("id").int64(at: 0) == 1)
        #expect(try v("flag").bool(at: 0) == true)
        #expect(try v("flag").bool(at: 1) == false)
        #expect(try v("small").int64(at: 0) == -32768)
        #expect(try v("medium").int64(at: 0) == 2_147_483_647)
        #expect(try v("big").int64(at: 0) == Int64.min)
        #expect(try v("r4").float64(at: 0) == 1.5)
        #expect(try v("r8").float64(at: 0) == 3.141592653589793)
        #expect(try v("r8").float64(at: 1).sign == .minus)
        #expect(try v("price").decimal(at: 0) == 1999)
        #expect(try v("price").decimal(at: 1) == -5)
        let nines = Int128("99999999999999999999999999999999999999") ?? 0
        #expect(try v("wide").decimal(at: 0) == nines)
        #expect(try v("wide").decimal(at: 1) == -nines)
        #expect(try v("anynum").string(at: 0) == "123456789012345678901234567890.123456789")
        #expect(try v("anynum").string(at: 1) == "-0.00012")
        #expect(try v("bignum").string(at: 0) == "1.50000")
        #expect(try v("bignum").string(at: 1) == "NaN")
        #expect(try v("name").string(at: 0) == "héllo 🌍 中文")
        #expect(try v("name").string(at: 1) == "")
        #expect(try v("vc").string(at: 0) == "abc")
        #expect(try v("ch").string(at: 0) == "ab  ")
        #expect(try v("ch").string(at: 1) == "    ")
        #expect(Array(try v("payload").bytes(at: 0)) == [0x00, 0xFF, 0x10])
        #expect(try v("payload").bytes(at: 1).isEmpty)
        #expect(UUIDText.format(Array(try v("uid").bytes(at: 0))) == "123e4567-e89b-12d3-a456-426614174000")
        #expect(try v("doc").string(at: 0) == #"{"a": [1, 2]}"#)
        #expect(try v("docb").string(at: 0) == #"{"a": 2, "b": 1}"#)
        #expect(try v("docb").string(at: 1) == "{}")
        #expect(try v("born").int64(at: 0) == TimeText.days(year: 1969, month: 7, day: 20))
        #expect(try v("born").int64(at: 1) == 10957)
        #expect(try v("at_time").int64(at: 0) == 86_399_999_999)
        #expect(try v("happened").int64(at: 0) == micros("1900-01-01 00:00:00.000001"))
        #expect(try v("happened").int64(at: 1) == 0)
        #expect(try v("happened_tz").int64(at: 0) == micros("2024-02-29 12:34:56.789012Z"))
        #expect(try v("happened_tz").int64(at: 1) == -1)
        #expect(try v("happened_tz").int64(at: 2) == micros("2024-06-01 08:00:00Z"))
        #expect(try v("span").string(at: 0) == "1 year 2 mons 3 days 04:05:06.7")
        #expect(try v("addr").string(at: 0) == "192.168.1.5/24")
        let ipv6 = try v("addr").string(at: 1)
        #expect(ipv6 == "::1")
        #expect(try v("feeling").string(at: 0) == "happy")
        #expect(ScalarValue(vector: try v("tags"), row: 0, type: .list(.int32)) == .list([.int(1), nil, .int(3)]))
        #expect(ScalarValue(vector: try v("tags"), row: 1, type: .list(.int32)) == .list([]))
        // Row 3: NULL everywhere but the key and the NOT NULL column.
        for (i, column) in b.columns.enumerated() where column.name != "id" && column.name != "happened_tz" {
            #expect(b.vectors[i].isNull(2), "\(column.name) should be NULL")
            #expect(!b.vectors[i].isNull(0), "\(column.name) should not be NULL")
        }
    }

    @Test func batchesSplitAtBatchSizeAndFiltersCount() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, note text);
            INSERT INTO events SELECT i, '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 second', 'n' || i
            FROM generate_series(1, 2500) AS i;
            """)
        let (_, batches, total) = try readAll(db, "events", batchSize: 1000)
        #expect(total == 2500)
        #expect(batches.map(\.rowCount) == [1000, 1000, 500])

        let byId = RowFilter(column: "id", comparison: .greaterThan, value: .int(2000))
        let reader = try db.source.openReader(TableName(name: "events"))
        defer { reader.close() }
        #expect(try reader.count(filter: nil) == 2500)
        #expect(try reader.count(filter: byId) == 500)
        let byTime = RowFilter(
            column: "at", comparison: .greaterThanOrEqual,
            value: .timestamp(micros("2024-01-01 00:40:00Z"), zoned: true))
        #expect(try reader.count(filter: byTime) == 2500 - 2400 + 1)
        var read: Int64 = 0
        let n = try reader.read(filter: byTime, limit: nil, batchSize: 64) { (b: RecordBatch) throws(FerryError) in
            read += Int64(b.rowCount)
        }
        #expect(n == 101 && read == 101)
        let limited = try reader.read(filter: byId, limit: 7, batchSize: 5) { (_: RecordBatch) throws(FerryError) in }
        #expect(limited == 7)
        #expect(reader.describeRead(filter: byId, limit: 7).contains("WHERE \"id\" > '2000'::bigint LIMIT 7"))
        // An empty result set still parses (header and trailer in one message).
        let none = RowFilter(column: "id", comparison: .greaterThan, value: .int(99_999))
        #expect(
            try reader.read(filter: none, limit: nil, batchSize: 10) { (_: RecordBatch) throws(FerryError) in } == 0)
    }

    @Test func missingTableIsASchemaError() throws {
        let db = try PGTestDB.make()
        let error = #expect(throws: FerryError.self) {
            _ = try db.source.openReader(TableName(name: "nope"))
        }
        #expect(error?.code == .schema)
        #expect(error?.message.contains("public.nope") == true)
        let missingColumn = #expect(throws: FerryError.self) {
            try db.sql("CREATE TABLE t (id int)")
            let reader = try db.source.openReader(TableName(schema: "public", name: "t"))
            defer { reader.close() }
            _ = try reader.count(filter: RowFilter(column: "ghost", comparison: .greaterThan, value: .int(1)))
        }
        #expect(missingColumn?.code == .schema)
        #expect(missingColumn?.message.contains("ghost") == true)
    }

    @Test func unrepresentableValuesFailNamingTheColumn() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE inf (id int, d date);
            INSERT INTO inf VALUES (1, '2024-01-01'), (2, 'infinity');
            CREATE TABLE nan (id int, amount numeric(10,2));
            INSERT INTO nan VALUES (1, 'NaN');
            """)
        let infinity = #expect(throws: FerryError.self) { _ = try readAll(db, "inf") }
        #expect(infinity?.code == .data)
        #expect(infinity?.message.contains("column d") == true)
        #expect(infinity?.message.contains("infinity") == true)
        let nan = #expect(throws: FerryError.self) { _ = try readAll(db, "nan") }
        #expect(nan?.code == .data)
        #expect(nan?.message.contains("column amount") == true)
    }

    @Test func unrepresentableValuesSayWhichRowAndWhatToDo() throws {
        let db = try PGTestDB.make()
        // The last day PostgreSQL's timestamp holds is past what 64-bit µs since 1970 can: an error, never a trap.
        try db.sql(
            """
            CREATE TABLE far (id int, at timestamp, at_tz timestamptz);
            INSERT INTO far VALUES (1, '2024-01-01', '2024-01-01+00'), (2, '294276-12-31 23:59:59', NULL);
            CREATE TABLE far_tz (id int, at_tz timestamptz);
            INSERT INTO far_tz VALUES (1, '294276-12-31 23:59:59+00');
            CREATE TABLE inf (id int, d date);
            INSERT INTO inf VALUES (1, '2024-01-01'), (2, '2024-01-02'), (3, '-infinity');
            """)
        let far = #expect(throws: FerryError.self) { _ = try readAll(db, "far") }
        #expect(far?.code == .data)
        #expect(far?.table == "public.far")
        #expect(
            far?.message
                == "column at: a timestamp beyond what Ferry can hold (64-bit microseconds since 1970) (row 2); fix "
                + "those values in the source, or leave the table out of the config")
        let farTZ = #expect(throws: FerryError.self) { _ = try readAll(db, "far_tz") }
        #expect(farTZ?.message.hasPrefix("column at_tz: a timestamp beyond what Ferry can hold") == true)
        let infinity = #expect(throws: FerryError.self) { _ = try readAll(db, "inf") }
        #expect(
            infinity?.message
                == "column d: cannot represent infinity (row 3); replace the infinite values in the source, or leave "
                + "the table out of the config")
    }

    @Test func aConsumerErrorCancelsTheCopy() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE big AS SELECT i AS id FROM generate_series(1, 20000) AS i")
        let reader = try db.source.openReader(TableName(name: "big"))
        var batches = 0
        let error = #expect(throws: FerryError.self) {
            _ = try reader.read(filter: nil, limit: nil, batchSize: 100) { (_: RecordBatch) throws(FerryError) in
                batches += 1
                if batches == 3 { throw FerryError(.integrity, "stop") }
            }
        }
        #expect(error?.message == "stop")
        #expect(batches == 3)
        reader.close()
    }

    @Test func aServerErrorMidCopyThrows() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE FUNCTION boom(i int) RETURNS int LANGUAGE plpgsql AS $$
            BEGIN IF i = 5000 THEN RAISE EXCEPTION 'boom at %', i; END IF; RETURN i; END $$;
            CREATE VIEW exploding AS SELECT boom(i) AS id FROM generate_series(1, 10000) AS i;
            """)
        var rows = 0
        let reader = try db.source.openReader(TableName(name: "exploding"))
        defer { reader.close() }
        let error = #expect(throws: FerryError.self) {
            _ = try reader.read(filter: nil, limit: nil, batchSize: 1000) { (b: RecordBatch) throws(FerryError) in
                rows += b.rowCount
            }
        }
        #expect(error?.code == .database)
        #expect(error?.sqlState == "P0001")
        #expect(error?.message.contains("boom at 5000") == true)
        #expect(rows < 5000)
    }

    @Test func serverErrorsCarryTheirSQLState() throws {
        let db = try PGTestDB.make()
        let conn = try PGConnection(config: db.config)
        defer { conn.close() }
        let error = #expect(throws: FerryError.self) {
            try conn.exec("SELECT * FROM missing_table", context: "probing public.missing_table")
        }
        #expect(error?.code == .schema)
        #expect(error?.sqlState == "42P01")
        let timeout = #expect(throws: FerryError.self) {
            try conn.exec("SET statement_timeout = 50", context: "setting a timeout")
            try conn.exec("SELECT pg_sleep(2)", context: "sleeping")
        }
        #expect(timeout?.code == .transient)
        #expect(timeout?.sqlState == "57014")
        let rows = try conn.execParams("SELECT $1::text, $2::int + 1", ["it's", "41"], context: "echo")
        #expect(rows.rows == [["it's", "42"]])
    }

    @Test func badCredentialsAreConnectionErrorsWithoutThePassword() throws {
        let db = try PGTestDB.make()
        var config = db.config
        config.database = "no_such_database"
        config.password = "s3cret'pw"
        let error = #expect(throws: FerryError.self) { _ = try PGConnection(config: config) }
        #expect(error?.code == .connection)
        #expect(error?.message.contains("s3cret") == false)
        #expect(error?.message.contains("no_such_database") == true)
    }
}
