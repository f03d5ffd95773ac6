import FerryCore
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

/// Change sets applied to PostgreSQL: data and position in one transaction, replays skipped, TOASTed columns kept.
@Suite struct PostgresChangeApplyTests {
    let schema = ChangeFixtures.schema
    static let toasted = ChangeFixtures.toasted

    func writer(_ db: PGTestDB, _ table: TableName = TableName(name: "t")) throws -> any TableWriter & ChangeWriter {
        try db.destination.openWriter(table) as! any TableWriter & ChangeWriter
    }

    func change(
        _ kind: RowChange.Kind, _ id: Int64, _ name: String?, big: String? = "b", unchanged: Set<Int> = [],
        oldId: Int64? = nil
    ) -> RowChange {
        let row: [ScalarValue?]? =
            kind == .delete ? nil : [.int(id), name.map { .text($0) }, big.map { .text($0) }, .decimal(1050, scale: 2)]
        return RowChange(kind: kind, row: row, unchanged: unchanged, oldKey: [.int(oldId ?? id)])
    }

    func fold(_ changes: [RowChange], truncated: Bool = false) -> ChangeSet {
        var set = ChangeSet.fold(changes, keyIndexes: [0])
        set.truncated = truncated
        return set
    }

    @Test func insertsUpdatesDeletesApplyWithThePositionAndReplaysAreSkipped() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE SCHEMA app")
        let w = try writer(db, TableName(schema: "app", name: "t"))
        defer { w.close() }
        #expect(try w.appliedPosition(pipeline: "p") == nil)
        let inserts = fold([
            change(.insert, 1, "a", big: Self.toasted), change(.insert, 2, "b"), change(.insert, 3, "c"),
        ])
        #expect(try w.apply(inserts, schema: schema, position: LSN(rawValue: 0x1_0000_0100), pipeline: "p"))
        #expect(try db.fingerprint("app.t") == "3:\n(1,a,\(Self.toasted),10.50)\n(2,b,b,10.50)\n(3,c,b,10.50)")

        let updates = fold([
            change(.update, 1, "a2", big: nil, unchanged: [2]),  // TOASTed and unchanged: keeps the stored value
            change(.delete, 2, nil),
            change(.update, 30, "moved", oldId: 3),  // a key change: the old key goes, the new one arrives
            change(.insert, 4, "new", big: nil, unchanged: [2]),  // unchanged but not in the target: NULL
        ])
        #expect(try w.apply(updates, schema: schema, position: LSN(rawValue: 0x1_0000_0200), pipeline: "p"))
        let after = "3:\n(1,a2,\(Self.toasted),10.50)\n(4,new,,10.50)\n(30,moved,b,10.50)"
        #expect(try db.fingerprint("app.t") == after)
        #expect(
            try db.sql("SELECT pipeline, table_name, position FROM app._ferry_positions") == "p|t|1/200")
        #expect(try w.appliedPosition(pipeline: "p") == LSN("1/200"))
        #expect(try w.appliedPosition(pipeline: "other") == nil)

        // Replaying the same or an older position changes nothing.
        let replay = fold([change(.delete, 1, nil)], truncated: true)
        #expect(try w.apply(replay, schema: schema, position: LSN(rawValue: 0x1_0000_0200), pipeline: "p") == false)
        #expect(try w.apply(replay, schema: schema, position: LSN(rawValue: 0x1_0000_0100), pipeline: "p") == false)
        #expect(try db.fingerprint("app.t") == after)
        #expect(try w.appliedPosition(pipeline: "p") == LSN("1/200"))
        #expect(try db.sql("SELECT count(*) FROM pg_class WHERE relname LIKE '__ferry%'") == "0")
    }

    @Test func aTruncateEmptiesTheTableBeforeTheInsertsAfterIt() throws {
        let db = try PGTestDB.make()
        let w = try writer(db)
        defer { w.close() }
        try w.apply(
            fold([change(.insert, 1, "a"), change(.insert, 2, "b")]), schema: schema, position: LSN(rawValue: 10),
            pipeline: "p")
        // The key 1 arrives again after the truncate, with a TOASTed value it can no longer take from the table.
        let set = fold(
            [change(.insert, 7, "after"), change(.update, 1, "again", big: nil, unchanged: [2])], truncated: true)
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 20), pipeline: "p"))
        #expect(try db.fingerprint("t") == "2:\n(1,again,,10.50)\n(7,after,b,10.50)")
        // Truncate alone.
        #expect(try w.apply(fold([], truncated: true), schema: schema, position: LSN(rawValue: 30), pipeline: "p"))
        #expect(try db.fingerprint("t") == "0:")
    }

    @Test func newColumnsAreAddedAndColumnsTheSourceLacksReadNullInUpsertedRows() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE t (id bigint PRIMARY KEY, name text, big text, amount numeric(10,2), legacy int);
            INSERT INTO t VALUES (1, 'a', 'b', 1, 11), (2, 'b', 'b', 2, 22);
            """)
        let w = try writer(db)
        defer { w.close() }
        var wider = schema
        wider.columns.append(Column(name: "added", type: .date))
        var row: [ScalarValue?] = [.int(3), .text("c"), .text("b"), .decimal(3, scale: 0), .date(19_000)]
        var set = ChangeSet()
        set.upserts[[]] = [row]
        row[0] = .int(2)
        set.upserts[[2]] = [row]
        #expect(try w.apply(set, schema: wider, position: LSN(rawValue: 1), pipeline: "p"))
        #expect(
            try db.sql("SELECT id, name, big, amount, legacy, added FROM t ORDER BY id")
                == "1|a|b|1.00|11|\n2|c|b|3.00||2022-01-08\n3|c|b|3.00||2022-01-08")
    }

    @Test func anIncompatibleTypeChangeFailsAndChangesNothing() throws {
        let db = try PGTestDB.make()
        let w = try writer(db)
        defer { w.close() }
        try w.apply(fold([change(.insert, 1, "a")]), schema: schema, position: LSN(rawValue: 10), pipeline: "p")
        var changed = schema
        changed.columns[1].type = .int32  // text -> integer does not widen
        changed.columns.append(Column(name: "added", type: .date))  // would be added, but nothing may change
        let set = ChangeSet.fold(
            [
                RowChange(
                    kind: .insert, row: [.int(2), .int(5), nil, nil, .date(1)], oldKey: [.int(2)])
            ], keyIndexes: [0])
        let error = #expect(throws: FerryError.self) {
            try w.apply(set, schema: changed, position: LSN(rawValue: 20), pipeline: "p")
        }
        #expect(error?.code == .schema)
        #expect(error?.message.contains("column name") == true)
        #expect(error?.description.contains("public.t") == true)
        #expect(try db.fingerprint("t") == "1:\n(1,a,b,10.50)")
        #expect(
            try db.sql("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'added'") == "0")
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 10))
    }

    @Test func aFailedApplyLeavesDataAndPositionAsTheyWere() throws {
        let db = try PGTestDB.make()
        let w = try writer(db)
        defer { w.close() }
        try w.apply(fold([change(.insert, 1, "a")]), schema: schema, position: LSN(rawValue: 10), pipeline: "p")
        // A value that does not fit decimal(10,2) fails the whole change set, deletes and truncate included.
        var bad = fold([change(.insert, 2, "b"), change(.delete, 1, nil)], truncated: true)
        bad.upserts[[]]?[0][3] = .decimal(123_456_789_012_345, scale: 2)
        let error = #expect(throws: FerryError.self) {
            try w.apply(bad, schema: schema, position: LSN(rawValue: 20), pipeline: "p")
        }
        #expect(error?.message.contains("amount") == true)
        #expect(try db.fingerprint("t") == "1:\n(1,a,b,10.50)")
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 10))
        // The writer stays usable.
        #expect(
            try w.apply(fold([change(.insert, 2, "b")]), schema: schema, position: LSN(rawValue: 20), pipeline: "p"))
        #expect(try db.sql("SELECT count(*) FROM t") == "2")
    }

    /// The rows of `all_types` in `db` as change-set rows.
    func allTypesRows(_ db: PGTestDB) throws -> (schema: TableSchema, rows: [[ScalarValue?]]) {
        let (schema, batches, _) = try readAll(db, "all_types")
        var rows: [[ScalarValue?]] = []
        for b in batches {
            for r in 0..<b.rowCount {
                rows.append(
                    b.columns.indices.map { ScalarValue(vector: b.vectors[$0], row: r, type: b.columns[$0].type) })
            }
        }
        return (schema, rows)
    }

    @Test func everyColumnTypeIsAppliedExactlyIntoCreatedAndExistingTables() throws {
        let src = try PGTestDB.make()
        try src.sql(allTypesSQL)
        let (schema, rows) = try allTypesRows(src)
        // A target that already has the source's types (interval, inet, enum and array columns are reached
        // through text), and one that Ferry creates from the schema.
        let existing = try PGTestDB.make()
        try existing.sql(allTypesSQL + "; TRUNCATE all_types")
        let created = try PGTestDB.make()
        for dst in [existing, created] {
            let w = try writer(dst, TableName(name: "all_types"))
            defer { w.close() }
            var set = ChangeSet()
            set.upserts[[]] = rows
            #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 1), pipeline: "p"))
            try expectSameRows(src, dst, "all_types")

            // Row 1 changes only its name (every other column unsent), row 2 is deleted, row 3 takes row 1's
            // values but its unique uid.
            let name = try #require(schema.index(of: "name"))
            let uid = try #require(schema.index(of: "uid"))
            var next = ChangeSet()
            var one = rows[0]
            one[name] = .text("renamed")
            next.upserts[Set(schema.columns.indices).subtracting([0, name])] = [one]
            var three = rows[0]
            three[0] = .int(3)
            three[uid] = nil
            next.upserts[[]] = [three]
            next.deletes = [[.int(2)]]
            #expect(try w.apply(next, schema: schema, position: LSN(rawValue: 2), pipeline: "p"))
        }
        try src.sql(
            """
            UPDATE all_types AS t SET (flag, small, medium, big, r4, r8, price, wide, anynum, bignum, name, vc, ch,
                payload, uid, doc, docb, born, at_time, happened, happened_tz, span, addr, feeling, tags)
                = (SELECT flag, small, medium, big, r4, r8, price, wide, anynum, bignum, name, vc, ch, payload, NULL::uuid,
                   doc, docb, born, at_time, happened, happened_tz, span, addr, feeling, tags
                   FROM all_types WHERE id = 1)
            WHERE t.id = 3;
            UPDATE all_types SET name = 'renamed' WHERE id = 1;
            DELETE FROM all_types WHERE id = 2;
            """)
        try expectSameRows(src, existing, "all_types")
        try expectSameRows(src, created, "all_types")
    }
}
