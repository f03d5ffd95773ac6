import FerryCore
import FerryTestKit
import Foundation
import Testing

@testable import FerryPostgres

/// Writing lists, structures and types Ferry carries as text into PostgreSQL.
@Suite struct RichTypesWriteTests {
    static let columns = [
        "ints", "texts", "prices", "stamps", "ids", "thing", "span", "addr", "net", "posints", "spans", "things",
    ]

    /// Every column's `::text` in id order, one line per row.
    func texts(_ db: PGTestDB, _ table: String) throws -> String {
        try db.sql(
            "SELECT " + Self.columns.map { "coalesce(\($0)::text, '<null>')" }.joined(separator: " || ' | ' || ")
                + " FROM \(table) ORDER BY id")
    }

    /// A new table in a database that has the source's types gets the same column types and values.
    @Test(arguments: [WriteMode.replace(.simpleCopy), .replace(.stagingSwap), .upsert(key: ["id"])])
    func copiesToANewTableKeepTypesAndValues(mode: WriteMode) throws {
        let src = try PGTestDB.make()
        try src.sql(richTypesSQL + richTypesRows)
        let dst = try PGTestDB.make()
        try dst.sql("CREATE TYPE item AS (n integer, label text, amount numeric); CREATE DOMAIN posint AS integer;")
        #expect(try transfer(from: src, to: dst, table: "rich", mode: mode) == 4)
        #expect(try texts(dst, "rich") == texts(src, "rich"))
        try expectSameRows(src, dst, "rich")
        let types =
            "SELECT string_agg(format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute "
            + "WHERE attrelid = 'rich'::regclass AND attnum > 0"
        #expect(try dst.sql(types) == src.sql(types))
        // And again into the table that now exists.
        #expect(try transfer(from: src, to: dst, table: "rich", mode: mode) == 4)
        #expect(try texts(dst, "rich") == texts(src, "rich"))
    }

    /// Without the composite type in the target, a structure is kept as its record literal in a text column and
    /// lists of it as text[]; every value's text stays the same.
    @Test func withoutTheCompositeStructuresBecomeText() throws {
        let src = try PGTestDB.make()
        try src.sql(richTypesSQL + richTypesRows)
        let dst = try PGTestDB.make()
        try transfer(from: src, to: dst, table: "rich", mode: .replace(.simpleCopy))
        #expect(
            try dst.sql(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'rich'::regclass AND attname = 'thing'"
            ) == "text")
        #expect(
            try dst.sql("SELECT thing FROM rich ORDER BY id") == src.sql("SELECT thing::text FROM rich ORDER BY id"))
        #expect(
            try dst.sql("SELECT (things[1]::text)::text, ints::text, posints::text FROM rich ORDER BY id")
                == src.sql("SELECT (things[1])::text, ints::text, posints::text FROM rich ORDER BY id"))
    }

    /// Text columns that carry their original PostgreSQL type (as a Delta table's `ferry.type` does) are created
    /// with that type when the target has it, and their values cast from text.
    @Test func textColumnsWithANativeTypeRecreateIt() throws {
        let dst = try PGTestDB.make()
        try dst.sql("CREATE TYPE mood AS ENUM ('sad', 'happy')")
        let columns = [
            Column(name: "id", type: .int64, nullable: false),
            Column(name: "span", type: .text, nativeType: "interval"),
            Column(name: "addr", type: .text, nativeType: "inet"),
            Column(name: "range", type: .text, nativeType: "int4range"),
            Column(name: "feeling", type: .text, nativeType: "mood"),
            Column(name: "other", type: .text, nativeType: "no_such_type"),
            Column(name: "evil", type: .text, nativeType: "text); DROP TABLE x; --"),
            Column(name: "tags", type: .list(.text), nativeType: "mood[]"),
        ]
        let batch = try #require(
            RecordBatch(
                rows: [
                    [
                        .int(1), .text("1 day 02:00:00"), .text("10.0.0.1"), .text("[1,5)"), .text("happy"), .text("x"),
                        .text("y"), .list([.text("sad"), nil]),
                    ],
                    [.int(2), nil, nil, nil, nil, nil, nil, nil],
                ], columns: columns))
        for mode in [WriteMode.replace(.stagingSwap), .replace(.simpleCopy)] {
            let writer = try dst.destination.openWriter(TableName(name: "restored"))
            defer { writer.close() }
            try writer.begin(schema: TableSchema(columns: columns, primaryKey: ["id"]), mode: mode)
            try writer.write(batch)
            #expect(try writer.commit() == 2)
            #expect(
                try dst.sql(
                    "SELECT string_agg(format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute "
                        + "WHERE attrelid = 'restored'::regclass AND attnum > 0")
                    == "bigint, interval, inet, int4range, mood, text, text, mood[]")
            #expect(
                try dst.sql("SELECT span, addr, range, feeling, other, evil, tags FROM restored ORDER BY id")
                    == "1 day 02:00:00|10.0.0.1|[1,5)|happy|x|y|{sad,NULL}\n||||||")
        }
    }
}
