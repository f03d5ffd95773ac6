import FerryCore
import FerrySQLite
import FerryTestKit
import Foundation
import GRDB
import Testing

@Suite struct ChangeApplyTests {
    let schema = TableSchema(
        columns: [
            Column(name: "id", type: .int64, nullable: false), Column(name: "name", type: .text),
            Column(name: "big", type: .text), Column(name: "amount", type: .decimal(precision: 10, scale: 2)),
        ], primaryKey: ["id"])

    func rows(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM t ORDER BY id").map { r in
                (0..<r.count).map { (r[$0] as DatabaseValue).description }.joined(separator: "|")
            }
        }
    }

    func change(
        _ kind: RowChange.Kind, _ id: Int64, _ name: String?, big: String? = "b", unchanged: Set<Int> = [],
        oldId: Int64? = nil
    )
        -> RowChange
    {
        let row: [ScalarValue?]? =
            kind == .delete ? nil : [.int(id), name.map { .text($0) }, big.map { .text($0) }, .decimal(1050, scale: 2)]
        return RowChange(kind: kind, row: row, unchanged: unchanged, oldKey: [.int(oldId ?? id)])
    }

    @Test func changesApplyWithThePositionInOneTransactionAndReplaysAreSkipped() throws {
        let dir = TempDirectory("cdc-sqlite")
        let w =
            try SQLiteDestination(path: dir.file("t.db")).openWriter(TableName(name: "t"))
            as! any TableWriter & ChangeWriter
        defer { w.close() }
        #expect(try w.appliedPosition(pipeline: "p") == nil)
        var set = ChangeSet.fold(
            [change(.insert, 1, "a"), change(.insert, 2, "b"), change(.insert, 3, "c")], keyIndexes: [0])
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 100), pipeline: "p"))
        set = ChangeSet.fold(
            [
                change(.update, 1, "a2", big: nil, unchanged: [2]),  // TOASTed column not sent: keep the target's value
                change(.delete, 2, nil), change(.update, 30, "moved", oldId: 3),
            ], keyIndexes: [0])
        #expect(try w.apply(set, schema: schema, position: LSN(rawValue: 200), pipeline: "p"))
        #expect(try rows(dir.file("t.db")) == ["1|\"a2\"|\"b\"|\"10.50\"", "30|\"moved\"|\"b\"|\"10.50\""])
        // Replaying an older or the same position changes nothing.
        let replay = ChangeSet.fold([change(.delete, 1, nil)], keyIndexes: [0])
        #expect(try w.apply(replay, schema: schema, position: LSN(rawValue: 200), pipeline: "p") == false)
        #expect(try rows(dir.file("t.db")).count == 2)
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 200))
        #expect(try w.appliedPosition(pipeline: "other") == nil)
        var truncate = ChangeSet.fold([change(.insert, 7, "after truncate")], keyIndexes: [0])
        truncate.truncated = true
        #expect(try w.apply(truncate, schema: schema, position: LSN(rawValue: 300), pipeline: "p"))
        #expect(try rows(dir.file("t.db")) == ["7|\"after truncate\"|\"b\"|\"10.50\""])
    }

    @Test func aFailedApplyLeavesDataAndPositionAsTheyWere() throws {
        let dir = TempDirectory("cdc-sqlite")
        let w =
            try SQLiteDestination(path: dir.file("t.db")).openWriter(TableName(name: "t"))
            as! any TableWriter & ChangeWriter
        defer { w.close() }
        try w.apply(
            ChangeSet.fold([change(.insert, 1, "a")], keyIndexes: [0]), schema: schema, position: LSN(rawValue: 10),
            pipeline: "p")
        // A value that does not fit decimal(10,2) fails the whole change set.
        var bad = ChangeSet.fold([change(.insert, 2, "b")], keyIndexes: [0])
        bad.upserts[[]]?[0][3] = .decimal(123_456_789_012_345, scale: 2)
        #expect(throws: FerryError.self) {
            try w.apply(bad, schema: schema, position: LSN(rawValue: 20), pipeline: "p")
        }
        #expect(try rows(dir.file("t.db")).count == 1)
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 10))
    }
}
