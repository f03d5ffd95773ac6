import FerryCore
import Testing

@Suite struct ScalarValueTests {
    @Test func comparesValuesOfTheSameKindExactly() {
        #expect(ScalarValue.int(5).compare(to: .int(7)) == -1)
        #expect(ScalarValue.decimal(150, scale: 2).compare(to: .decimal(15, scale: 1)) == 0)
        #expect(ScalarValue.text("b").compare(to: .text("a")) == 1)
        #expect(ScalarValue.date(1).compare(to: .timestamp(86_400_000_000, zoned: true)) == 0)
        #expect(ScalarValue.text("1").compare(to: .int(1)) == nil)
    }

    @Test func lookBackMovesDatesAndTimestampsOnly() {
        #expect(ScalarValue.date(100).minus(days: 7) == .date(93))
        #expect(ScalarValue.timestamp(86_400_000_000, zoned: false).minus(days: 1) == .timestamp(0, zoned: false))
        #expect(ScalarValue.int(10).minus(days: 3) == .int(10))
    }

    @Test func filtersUseStrictOrInclusiveBounds() {
        #expect(ScalarValue.int(5).satisfies(.greaterThan, .int(5)) == false)
        #expect(ScalarValue.int(5).satisfies(.greaterThanOrEqual, .int(5)))
    }

    @Test func widening() {
        #expect(ColumnType.int32.widens(to: .int64))
        #expect(!ColumnType.int64.widens(to: .int32))
        #expect(ColumnType.decimal(precision: 10, scale: 2).widens(to: .decimal(precision: 12, scale: 2)))
        #expect(!ColumnType.decimal(precision: 10, scale: 2).widens(to: .decimal(precision: 10, scale: 3)))
        #expect(!ColumnType.text.widens(to: .int64))
        #expect(ColumnType.uuid.widens(to: .text))
    }

    @Test func columnVectorsKeepValuesAndNullsAligned() {
        var v = ColumnVector(kind: .bytes)
        v.append(string: "héllo")
        v.appendNull()
        v.append(string: "")
        #expect(v.count == 3)
        #expect(v.string(at: 0) == "héllo")
        #expect(v.isNull(1))
        #expect(!v.isNull(2))
        #expect(v.string(at: 2) == "")
    }
}

@Suite struct ChangeSetTests {
    func row(_ id: Int64, _ name: String) -> [ScalarValue?] { [.int(id), .text(name)] }

    @Test func onlyTheFinalStateOfEachKeySurvives() {
        let changes = [
            RowChange(kind: .insert, row: row(1, "a"), oldKey: [.int(1)]),
            RowChange(kind: .update, row: row(1, "b"), oldKey: [.int(1)]),
            RowChange(kind: .insert, row: row(2, "x"), oldKey: [.int(2)]),
            RowChange(kind: .delete, row: nil, oldKey: [.int(2)]),
            RowChange(kind: .update, row: row(3, "c"), oldKey: [.int(3)]),
        ]
        let set = ChangeSet.fold(changes, keyIndexes: [0])
        #expect(set.deletes == [[.int(2)]])
        #expect(set.upserts[[]] == [row(1, "b"), row(3, "c")])
    }

    @Test func aKeyChangeDeletesTheOldKey() {
        let set = ChangeSet.fold([RowChange(kind: .update, row: row(9, "moved"), oldKey: [.int(4)])], keyIndexes: [0])
        #expect(set.deletes == [[.int(4)]])
        #expect(set.upserts[[]] == [row(9, "moved")])
    }

    @Test func unchangedToastColumnsTakeAValueKnownInTheBatchOrStayUnchanged() {
        let changes = [
            RowChange(kind: .update, row: [.int(1), nil], unchanged: [1], oldKey: [.int(1)]),
            RowChange(kind: .insert, row: row(2, "big"), oldKey: [.int(2)]),
            RowChange(kind: .update, row: [.int(2), nil], unchanged: [1], oldKey: [.int(2)]),
        ]
        let set = ChangeSet.fold(changes, keyIndexes: [0])
        #expect(set.upserts[[1]] == [[.int(1), nil]])
        #expect(set.upserts[[]] == [row(2, "big")])
    }

    @Test func reinsertAfterDeleteIsAnUpsert() {
        let changes = [
            RowChange(kind: .delete, row: nil, oldKey: [.int(5)]),
            RowChange(kind: .insert, row: row(5, "again"), oldKey: [.int(5)]),
        ]
        let set = ChangeSet.fold(changes, keyIndexes: [0])
        #expect(set.deletes.isEmpty)
        #expect(set.upserts[[]] == [row(5, "again")])
    }
}
