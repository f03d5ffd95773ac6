import FerryCore
import FerrySQLite
import FerryTestKit
import Foundation
import GRDB
import Testing

/// Lists and structures as JSON text in SQLite targets, and floats SQLite cannot hold as a REAL (NaN, -0.0)
/// stored in another form instead of changed: all read back exactly by Ferry's SQLite source.
@Suite struct SQLiteNestedAndFloatTests {
    static let address = ColumnType.structure([
        StructField(name: "street", type: .text), StructField(name: "number", type: .int32),
        StructField(name: "score", type: .float64), StructField(name: "tags", type: .list(.text)),
    ])

    static let schema = TableSchema(
        columns: [
            Column(name: "id", type: .int64, nullable: false), Column(name: "ints", type: .list(.int32)),
            Column(name: "words", type: .list(.text)), Column(name: "addr", type: address),
            Column(name: "amounts", type: .list(.decimal(precision: 10, scale: 2))),
            Column(name: "f8", type: .float64), Column(name: "f4", type: .float32),
            Column(name: "floats", type: .list(.float64)),
        ], primaryKey: ["id"])

    static let specials: [Double] = [.nan, -0.0, .infinity, -.infinity, 0.0, 1.5, -2.25e-300]

    static func row(_ id: Int, version: Int = 0) -> [ScalarValue?] {
        let ints: ScalarValue? =
            switch id % 4 {
            case 0: nil
            case 1: .list([])
            default: .list([.int(Int64(id + version)), nil, .int(-2_147_483_648)])
            }
        let words: ScalarValue? =
            id % 3 == 0 ? nil : .list([.text("tab\there \"q\" \\ ü 🚀"), nil, .text(""), .text("\u{1}")])
        let addr: ScalarValue? =
            id % 5 == 0
            ? nil
            : .structure([
                id % 2 == 0 ? nil : .text("street \(id)"), .int(Int64(id)), .double(Double(id) / 8),
                .list([.text("t\(version)")]),
            ])
        let special = specials[id % specials.count]
        return [
            .int(Int64(id)), ints, words, addr, .list([.decimal(-1999, scale: 2), nil]), .double(special),
            .double(special), .list(specials.map { .double($0) } + [nil]),
        ]
    }

    /// Equality that tells NaN from NaN and -0.0 from 0.0 by their bits.
    static func same(_ a: ScalarValue?, _ b: ScalarValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (.double(let x)?, .double(let y)?): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        case (.list(let x)?, .list(let y)?), (.structure(let x)?, .structure(let y)?):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default: return a == b
        }
    }

    func write(_ path: String, _ rows: [[ScalarValue?]], mode: WriteMode) throws {
        let writer = try SQLiteDestination(path: path).openWriter(TableName(name: "t"))
        defer { writer.close() }
        try writer.begin(schema: Self.schema, mode: mode)
        try ChangeSet.batches(rows, indexes: Array(Self.schema.columns.indices), of: Self.schema, table: "t") {
            (b: RecordBatch) throws(FerryError) in try writer.write(b)
        }
        _ = try writer.commit()
    }

    func read(_ path: String) throws -> (TableSchema, [[ScalarValue?]]) {
        let reader = try SQLiteSource(path: path).openReader(TableName(name: "t"))
        defer { reader.close() }
        var rows: [[ScalarValue?]] = []
        _ = try reader.read(filter: nil, limit: nil, batchSize: 7) { (b: RecordBatch) throws(FerryError) in
            for r in 0..<b.rowCount {
                rows.append(zip(b.vectors, b.columns).map { ScalarValue(vector: $0, row: r, type: $1.type) })
            }
        }
        return (reader.schema, rows)
    }

    func expectSame(
        _ actual: [[ScalarValue?]], _ expected: [[ScalarValue?]], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (i, (a, e)) in zip(actual, expected).enumerated() where !zip(a, e).allSatisfy({ Self.same($0, $1) }) {
            Issue.record("row \(i): \(a) != \(e)", sourceLocation: sourceLocation)
            return
        }
    }

    @Test(arguments: [WriteMode.replace(.simpleCopy), .replace(.stagingSwap), .append, .upsert(key: ["id"])])
    func listsStructsAndSpecialFloatsRoundTrip(mode: WriteMode) throws {
        let dir = TempDirectory("sqlite-nested")
        let rows = (0..<40).map { Self.row($0) }
        try write(dir.file("t.db"), rows, mode: mode)
        let (schema, read) = try read(dir.file("t.db"))
        #expect(schema.columns.map(\.type) == Self.schema.columns.map(\.type))
        expectSame(read, rows)
        // A second run over the existing table: its declared types read back as the same types, so no evolution.
        try write(dir.file("t.db"), (40..<45).map { Self.row($0) }, mode: .append)
        expectSame(try self.read(dir.file("t.db")).1, rows + (40..<45).map { Self.row($0) })
    }

    @Test func theStoredFormsAreJSONTextAndFaithfulFloats() throws {
        let dir = TempDirectory("sqlite-nested")
        try write(dir.file("t.db"), (0..<7).map { Self.row($0) }, mode: .append)
        let queue = try DatabaseQueue(path: dir.file("t.db"))
        let declared = try queue.read { db in
            try Row.fetchAll(db, sql: "PRAGMA table_info(t)").map { $0["type"] as String }
        }
        #expect(declared[1] == "JSON list<int32>")
        #expect(declared[3] == "JSON struct<street: text, number: int32, score: float64, tags: list<text>>")
        let stored = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT ints, addr, typeof(f8), quote(f8), words, floats FROM t ORDER BY id")
                .map { row in (0..<row.count).map { (row[$0] as DatabaseValue).description } }
        }
        #expect(stored[2][0] == "\"[2,null,-2147483648]\"")
        #expect(stored[1][0] == "\"[]\"")
        #expect(
            stored[1][1]
                == "\"{\\\"street\\\":\\\"street 1\\\",\\\"number\\\":1,\\\"score\\\":0.125,\\\"tags\\\":[\\\"t0\\\"]}\""
        )
        // NaN as the text 'NaN', -0.0 as its IEEE bits, the infinities as REALs.
        let quoted = try queue.read { db in try String.fetchAll(db, sql: "SELECT quote(f8) FROM t ORDER BY id") }
        #expect(stored[0][2] == "\"text\"" && quoted[0] == "'NaN'")
        #expect(stored[1][2] == "\"blob\"" && quoted[1] == "X'8000000000000000'")
        #expect(stored[2][2] == "\"real\"" && stored[3][2] == "\"real\"")
        #expect(stored[1][5].contains("\\\"NaN\\\",-0.0,\\\"Infinity\\\",\\\"-Infinity\\\""))
        // Hand-written JSON in the same shape reads too: fields in another order or missing, spaces.
        try queue.write { db in
            try db.execute(
                sql: "UPDATE t SET addr = ?, ints = ? WHERE id = 2",
                arguments: [" { \"number\" : 7 , \"street\" : \"a\\u00fc\\ud83d\\ude80\" } ", "[ 1 , 2 ]"])
        }
        try queue.close()
        let row = try read(dir.file("t.db")).1[2]
        #expect(row[3] == .structure([.text("aü🚀"), .int(7), nil, nil]))
        #expect(row[1] == .list([.int(1), .int(2)]))
    }

    @Test func malformedJSONFailsNamingTheValue() throws {
        let dir = TempDirectory("sqlite-nested")
        try write(dir.file("t.db"), [Self.row(2)], mode: .append)
        let queue = try DatabaseQueue(path: dir.file("t.db"))
        try queue.write { db in try db.execute(sql: "UPDATE t SET ints = '[1, \"x\"]'") }
        try queue.close()
        let error = #expect(throws: FerryError.self) { _ = try read(dir.file("t.db")) }
        #expect(error?.message.contains("ints") == true, "\(String(describing: error))")
    }

    @Test func changesWithNestedColumnsApply() throws {
        let dir = TempDirectory("sqlite-nested")
        let w =
            try SQLiteDestination(path: dir.file("t.db")).openWriter(TableName(name: "t"))
            as! any TableWriter & ChangeWriter
        defer { w.close() }
        var set = ChangeSet()
        set.upserts[[]] = (0..<10).map { Self.row($0) }
        #expect(try w.apply(set, schema: Self.schema, position: LSN(rawValue: 10), pipeline: "p"))
        set = ChangeSet()
        set.upserts[[]] = [Self.row(3, version: 1)]
        // The nested columns of 4 unsent (TOAST): the target keeps them.
        var partial = Self.row(4, version: 1)
        for i in [1, 2, 3] { partial[i] = nil }
        set.upserts[[1, 2, 3]] = [partial]
        set.deletes = [[.int(5)]]
        #expect(try w.apply(set, schema: Self.schema, position: LSN(rawValue: 20), pipeline: "p"))
        var expected = (0..<10).filter { $0 != 5 }.map { Self.row($0) }
        expected[3] = Self.row(3, version: 1)
        var kept = Self.row(4, version: 1)
        for i in [1, 2, 3] { kept[i] = Self.row(4)[i] }
        expected[4] = kept
        expectSame(try read(dir.file("t.db")).1, expected)
    }
}
