import FerryCore
import Testing

@Suite struct NestedColumnTests {
    static let point = ColumnType.structure([
        StructField(name: "n", type: .int32), StructField(name: "label", type: .text),
        StructField(name: "amount", type: .decimal(precision: 10, scale: 2)),
    ])

    /// Rows: [1, NULL, 3], NULL, [], ["x"] as a list<int32>… of text for the last, so two vectors.
    static func ints() -> ColumnVector {
        var v = ColumnVector(type: .list(.int32))
        v.appendList { (e: inout ColumnVector) in
            e.append(Int64(1))
            e.appendNull()
            e.append(Int64(3))
        }
        v.appendNull()
        v.appendList { (_: inout ColumnVector) in }
        v.appendList { (e: inout ColumnVector) in e.append(Int64(7)) }
        return v
    }

    @Test func listsKeepOffsetsElementsAndNulls() {
        let v = Self.ints()
        #expect(v.count == 4)
        #expect(v.listRange(at: 0) == 0..<3)
        #expect(v.listRange(at: 1) == 3..<3)
        #expect(v.isNull(1))
        #expect(v.listRange(at: 2).isEmpty && !v.isNull(2))
        #expect(v.listElements.count == 4)
        #expect(v.listElements.isNull(1))
        #expect(ScalarValue(vector: v, row: 0, type: .list(.int32)) == .list([.int(1), nil, .int(3)]))
        #expect(ScalarValue(vector: v, row: 1, type: .list(.int32)) == nil)
        #expect(ScalarValue(vector: v, row: 2, type: .list(.int32)) == .list([]))
    }

    @Test func gatheringListsShiftsOffsets() {
        let v = Self.ints()
        let g = v.gathering([1..<2, 3..<4])
        #expect(g.count == 2)
        #expect(g.isNull(0))
        #expect(ScalarValue(vector: g, row: 1, type: .list(.int32)) == .list([.int(7)]))
        #expect(g.listElements.count == 1)
        let all = v.gathering([0..<4])
        #expect(all == v)
        let middle = v.gathering([1..<3])
        #expect(middle.listElements.count == 0)
        #expect(middle.count == 2)
    }

    @Test func structuresHoldOneSlotPerRowInEachField() {
        var v = ColumnVector(type: Self.point)
        let ok1 = v.append(.structure([.int(1), .text("a b"), .decimal(150, scale: 2)]), as: Self.point)
        #expect(ok1)
        v.appendNull()
        let ok2 = v.append(.structure([nil, .text(""), nil]), as: Self.point)
        #expect(ok2)
        #expect(v.count == 3)
        #expect(v.structureFields.map(\.count) == [3, 3, 3])
        #expect(v.structureFields[0].isNull(1))
        #expect(ScalarValue(vector: v, row: 2, type: Self.point) == .structure([nil, .text(""), nil]))
        let g = v.gathering([0..<1, 2..<3])
        #expect(
            ScalarValue(vector: g, row: 0, type: Self.point)
                == .structure([.int(1), .text("a b"), .decimal(150, scale: 2)]))
        #expect(g.count == 2)
    }

    @Test func aValueThatDoesNotFitLeavesTheVectorAsItWas() {
        var v = Self.ints()
        let before = v
        let ok3 = v.append(.list([.int(1), .text("x")]), as: .list(.int32))
        #expect(!ok3)
        #expect(v == before)
        var s = ColumnVector(type: Self.point)
        let ok4 = s.append(.structure([.int(1), .text("a"), .text("x")]), as: Self.point)
        #expect(!ok4)
        #expect(s.count == 0)
        #expect(s.structureFields.allSatisfy { $0.count == 0 })
    }

    @Test func listsOfListsAndStructures() {
        let type = ColumnType.list(Self.point)
        var v = ColumnVector(type: type)
        let value = ScalarValue.list([.structure([.int(2), nil, nil]), nil])
        let ok5 = v.append(value, as: type)
        #expect(ok5)
        #expect(ScalarValue(vector: v, row: 0, type: type) == value)
        #expect(v.byteCount > 0)
    }

    @Test func wideningGoesThroughElementsAndFields() {
        #expect(ColumnType.list(.int32).widens(to: .list(.int64)))
        #expect(!ColumnType.list(.int64).widens(to: .list(.int32)))
        #expect(!ColumnType.list(.int32).widens(to: .int32))
        let narrow = ColumnType.structure([StructField(name: "a", type: .int16)])
        let wide = ColumnType.structure([StructField(name: "a", type: .int64)])
        let renamed = ColumnType.structure([StructField(name: "b", type: .int64)])
        #expect(narrow.widens(to: wide))
        #expect(!wide.widens(to: narrow))
        #expect(!narrow.widens(to: renamed))
    }

    @Test func descriptionsArePostgreSQLLiterals() {
        let list = ScalarValue.list([.int(1), nil, .text("a \"b\""), .text(""), .text("NULL"), .text("x,y")])
        #expect(list.description == #"{1,NULL,"a \"b\"","","NULL","x,y"}"#)
        #expect(ScalarValue.structure([.int(1), .text("x y"), nil]).description == #"(1,"x y",)"#)
        #expect(ColumnType.list(.int32).description == "list<int32>")
        #expect(Self.point.description == "struct<n: int32, label: text, amount: decimal(10,2)>")
    }

    @Test func batchesOfNestedColumnsStartEmpty() {
        let columns = [Column(name: "tags", type: .list(.text)), Column(name: "p", type: Self.point)]
        let batch = RecordBatch(columns: columns, capacity: 8)
        #expect(batch.rowCount == 0)
        #expect(batch.vectors[1].structureFields.count == 3)
    }
}
