import FerryCore
import FerryTestKit
import Foundation
import Testing

@testable import FerryPostgres

/// Arrays, composites, intervals and network addresses: a table of each, with NULL elements, empty arrays, quotes,
/// commas and backslashes.
let richTypesSQL = """
    CREATE TYPE item AS (n integer, label text, amount numeric);
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE TABLE rich (
        id integer PRIMARY KEY, ints integer[], texts text[], prices numeric(10,2)[], stamps timestamptz[],
        ids uuid[], thing item, span interval, addr inet, net cidr, posints posint[], spans interval[],
        things item[]
    );
    """

let richTypesRows = """
    INSERT INTO rich VALUES
    (1, '{1,NULL,3}', ARRAY['a "b"', NULL, '', 'x,y', E'back\\\\slash', 'NULL', ' sp ', '{br}', 'ünï'],
     '{1.50,NULL,-2.00}', '{"2024-01-01 00:00:00+00",NULL,"1969-12-31 23:59:59.999999+00"}',
     '{123e4567-e89b-12d3-a456-426614174000}', ROW(1, 'x y', 1.5), '1 year 2 mons 3 days 04:05:06.789',
     '192.168.0.1', '10.0.0.0/8', '{1,2}', '{"1 day",NULL,"-00:00:01"}',
     ARRAY[ROW(1, 'a,b', NULL)::item, NULL, ROW(NULL, E'q"\\\\', 2)::item]),
    (2, '{}', '{}', '{}', '{}', '{}', ROW(NULL, '', NULL), '0', '::1', '::/0', '{}', '{}', '{}'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, '{-2147483648}', '{NULL}', '{0.01}', '{NULL}', '{NULL}', ROW(NULL, NULL, NULL), '-1 days +02:00',
     '2001:db8::1/64', '2001:db8::/32', '{7}', '{"3 mons"}', ARRAY[NULL::item]);
    """

/// `item` as Ferry types it.
let itemType = ColumnType.structure([
    StructField(name: "n", type: .int32), StructField(name: "label", type: .text),
    StructField(name: "amount", type: .numeric),
])

@Suite struct RichTypesTests {
    @Test func arraysAndCompositesMapToListsAndStructures() throws {
        let db = try PGTestDB.make()
        try db.sql(richTypesSQL + richTypesRows)
        let (schema, rows) = try snapshotRows(db, "rich")
        #expect(
            schema.columns.map(\.type) == [
                .int32, .list(.int32), .list(.text), .list(.decimal(precision: 10, scale: 2)), .list(.timestampTZ),
                .list(.uuid), itemType, .text, .text, .text, .list(.int32), .list(.text), .list(itemType),
            ])
        #expect(schema.column(named: "span")?.nativeType == "interval")
        #expect(schema.column(named: "posints")?.nativeType == "posint[]")
        let one = try #require(rows[.int(1)])
        #expect(one[1] == .list([.int(1), nil, .int(3)]))
        #expect(
            one[2]
                == .list([
                    .text("a \"b\""), nil, .text(""), .text("x,y"), .text("back\\slash"), .text("NULL"), .text(" sp "),
                    .text("{br}"), .text("ünï"),
                ]))
        #expect(one[3] == .list([.decimal(150, scale: 2), nil, .decimal(-200, scale: 2)]))
        #expect(
            one[4]
                == .list([
                    .timestamp(micros("2024-01-01 00:00:00Z"), zoned: true), nil, .timestamp(-1, zoned: true),
                ]))
        #expect(one[5] == .list([.text("123e4567-e89b-12d3-a456-426614174000")]))
        #expect(one[6] == .structure([.int(1), .text("x y"), .text("1.5")]))
        #expect(one[7] == .text("1 year 2 mons 3 days 04:05:06.789"))
        #expect(one[8] == .text("192.168.0.1"))
        #expect(one[9] == .text("10.0.0.0/8"))
        #expect(one[10] == .list([.int(1), .int(2)]))
        #expect(one[11] == .list([.text("1 day"), nil, .text("-00:00:01")]))
        #expect(
            one[12]
                == .list([
                    .structure([.int(1), .text("a,b"), nil]), nil, .structure([nil, .text("q\"\\"), .text("2")]),
                ]))
        let two = try #require(rows[.int(2)])
        #expect(two[1] == .list([]) && two[2] == .list([]) && two[12] == .list([]))
        #expect(two[6] == .structure([nil, .text(""), nil]))
        #expect(two[7] == .text("00:00:00") && two[8] == .text("::1") && two[9] == .text("::/0"))
        let three = try #require(rows[.int(3)])
        #expect(three.dropFirst().allSatisfy { $0 == nil })
        let four = try #require(rows[.int(4)])
        #expect(four[2] == .list([nil]))
        #expect(four[6] == .structure([nil, nil, nil]))
        #expect(four[7] == .text("-1 days +02:00:00"))
        #expect(four[12] == .list([nil]))
    }

    /// Intervals and addresses are read in binary and rendered by Ferry: each must equal the server's own text.
    @Test func intervalsAndAddressesRenderAsTheServerPrintsThem() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE spans AS
            SELECT row_number() OVER () AS id, v AS span, format('%s', v) AS expected FROM (
                SELECT make_interval(0, m) + make_interval(0, 0, 0, d) + us * interval '1 microsecond' AS v
                FROM unnest(ARRAY[0, 1, 2, 11, 12, 13, -1, -11, -12, -13, 25, 1200, -2400]) m,
                     unnest(ARRAY[0, 1, 2, -1, -2, 30, -400]) d,
                     unnest(ARRAY[0, 1, -1, 10, 999999, 1000000, -1000000, 1500000, 59999999, 60000000, 3600000000,
                                  -3600000000, 86399999999, -86400000000, 123456789012, -5000001, 360000000000000,
                                  100000]::bigint[]) us
                UNION ALL SELECT unnest(ARRAY['178000000 years', '-178000000 years', '1 mon -1 days',
                    '-1 mon +1 day -00:00:01', '2147483647 days', '-2147483648 days 01:00',
                    '9223372036 seconds']::interval[])
            ) s;
            CREATE TABLE addrs AS
            SELECT row_number() OVER () AS id, v AS addr, format('%s', v) AS expected FROM (
                SELECT unnest(ARRAY['192.168.0.1', '192.168.0.1/24', '10.0.0.0/8', '0.0.0.0/0', '255.255.255.255',
                    '::1', '::', '::/0', '2001:db8::1', '2001:db8:0:0:1:0:0:1', '2001:0:0:1::1', '::ffff:1.2.3.4',
                    '::1.2.3.4', '::0.0.0.2', '1::', '1:0:0:0:0:0:0:0', '0:0:1::', '1:2:3:4:5:6:7:8',
                    '1:0:1:0:1:0:1:0', '::ffff:0:1.2.3.4', '2001:db8::/32', '::ffff:1.2.3.4/120', '0:0:0:0:0:1:0:0',
                    'fe80::1:2/10', '0:0:0:0:0:0:1:0', '1:0:0:2:0:0:0:3', '::ffff:0.0.0.0', '::1/64']::inet[]) v
                UNION ALL
                SELECT array_to_string(ARRAY(
                    SELECT CASE WHEN random() < 0.45 THEN '0' ELSE to_hex((random() * 65535)::int) END
                    FROM generate_series(1, 8 + 0 * g)), ':')::inet
                FROM generate_series(1, 400) g
            ) s;
            CREATE TABLE nets AS
            SELECT row_number() OVER () AS id, v AS net, format('%s', v) AS expected FROM (
                SELECT unnest(ARRAY['10.0.0.0/8', '10.1.2.3/32', '0.0.0.0/0', '2001:db8::/32', '::1/128', '::/0',
                    '::ffff:1.2.3.0/120']::cidr[]) v
            ) s;
            """)
        for table in ["spans", "addrs", "nets"] {
            let (schema, rows) = try snapshotRows(db, table)
            #expect(schema.columns[1].type == .text)
            #expect(rows.count > 5)
            for (_, row) in rows.sorted(by: { $0.key.compare(to: $1.key) ?? 0 < 0 }) {
                #expect(row[1] == row[2], "\(table): Ferry rendered \(row[1] ?? nil), the server \(row[2] ?? nil)")
            }
        }
    }

    /// A value that is not one-dimensional from 1 fails the table, naming the column and row; a column declared
    /// with two dimensions is read as text.
    @Test func multiDimensionalArraysFailOrAreReadAsDeclared() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE grid (id integer, cells integer[]);
            INSERT INTO grid VALUES (1, '{1,2}'), (2, '{{1,2},{3,4}}');
            CREATE TABLE shifted (id integer, cells integer[]);
            INSERT INTO shifted VALUES (1, '[0:1]={7,8}');
            CREATE TABLE declared (id integer, cells integer[][]);
            INSERT INTO declared VALUES (1, '{{1,2},{3,4}}'), (2, '{5}');
            """)
        for (table, what) in [("grid", "2-dimensional"), ("shifted", "indexed from 0")] {
            do {
                _ = try readAll(db, table)
                Issue.record("\(table) was read")
            } catch let error as FerryError {
                #expect(error.table == "public.\(table)")
                #expect(error.message.contains("column cells"), "\(error.message)")
                #expect(error.message.contains(what), "\(error.message)")
                #expect(error.message.contains("row \(table == "grid" ? 2 : 1)"), "\(error.message)")
                #expect(!error.message.contains("\n"))
            }
        }
        let (schema, rows) = try snapshotRows(db, "declared")
        #expect(schema.columns[1].type == .text)
        #expect(rows[.int(1)]?[1] == .text("{{1,2},{3,4}}"))
        #expect(rows[.int(2)]?[1] == .text("{5}"))
    }

    /// The change stream gives the snapshot reader's values, in binary form and in text form (a `point` column,
    /// which has no binary reader, turns the stream to text).
    @Test(arguments: [true, false]) func streamsAsTheSnapshotReads(binary: Bool) throws {
        let extra = binary ? "" : "ALTER TABLE rich ADD COLUMN pt point;"
        let (db, source) = try replicatedDB(richTypesSQL + extra, tables: ["rich"], binaryValues: true)
        defer { try? source.dropSlotAndPublication() }
        #expect(source.binaryValuesAreReadable([TableName(schema: "public", name: "rich")]) == binary)
        try db.sql(richTypesRows + (binary ? "" : "UPDATE rich SET pt = '(1,2)' WHERE id = 1;"))
        let (schema, expected) = try snapshotRows(db, "rich")
        #expect(expected.count == 4)
        let log = try withStream(source) { try StreamLog.read($0, commits: binary ? 1 : 2) }
        let relation = try #require(log.relations.first)
        #expect(relation.1.columns == schema.columns)
        var seen = 0
        for (_, change) in log.rows {
            let row = try #require(change.row)
            guard let id = row.first ?? nil, let want = expected[id] else {
                Issue.record("unexpected row \(row)")
                continue
            }
            // The text run updates row 1's point afterwards: compare the columns both forms carry.
            for (i, column) in schema.columns.enumerated() where column.name != "pt" {
                #expect(
                    row[i] == want[i], "\(column.name) of row \(id): streamed \(row[i] ?? nil), read \(want[i] ?? nil)")
            }
            seen += 1
        }
        #expect(seen == (binary ? 4 : 5))
    }
}
