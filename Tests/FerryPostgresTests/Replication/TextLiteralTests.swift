import FerryCore
import Testing

@testable import FerryPostgres

@Suite struct TextLiteralTests {
    func value(_ text: String, _ type: ColumnType, _ form: PGValueForm) throws(ValueFailure) -> ScalarValue {
        try Array(text.utf8).withUnsafeBytes { raw in
            Result { () throws(ValueFailure) in try TupleText.value(raw, type: type, form: form) }
        }.get()
    }

    let textList = PGValueForm.array(element: .native, elementOID: 25)

    @Test func arrayTextFormsSplitIntoElements() throws {
        #expect(
            try value("{1,2,NULL,-3}", .list(.int32), .array(element: .native, elementOID: 23))
                == .list([.int(1), .int(2), nil, .int(-3)]))
        #expect(try value("{}", .list(.int32), .array(element: .native, elementOID: 23)) == .list([]))
        #expect(
            try value(#"{"a \"b\"",NULL,"","x,y","back\\slash","NULL",null,plain}"#, .list(.text), textList)
                == .list([
                    .text("a \"b\""), nil, .text(""), .text("x,y"), .text("back\\slash"), .text("NULL"), nil,
                    .text("plain"),
                ]))
        #expect(try value(#"{"{br}"," sp "}"#, .list(.text), textList) == .list([.text("{br}"), .text(" sp ")]))
        #expect(
            try value(
                #"{"2024-01-01 00:00:00+00",NULL}"#, .list(.timestampTZ), .array(element: .native, elementOID: 1184))
                == .list([.timestamp(1_704_067_200_000_000, zoned: true), nil]))
        #expect(
            try value(
                "{1.50,-2.00}", .list(.decimal(precision: 10, scale: 2)), .array(element: .native, elementOID: 1700))
                == .list([.decimal(150, scale: 2), .decimal(-200, scale: 2)]))
    }

    @Test func recordTextFormsSplitIntoFields() throws {
        let type = ColumnType.structure([
            StructField(name: "n", type: .int32), StructField(name: "label", type: .text),
            StructField(name: "amount", type: .numeric),
        ])
        let form = PGValueForm.composite(fields: [.native, .native, .native], fieldOIDs: [23, 25, 1700])
        #expect(try value(#"(1,"x y",)"#, type, form) == .structure([.int(1), .text("x y"), nil]))
        #expect(try value(#"(,"",)"#, type, form) == .structure([nil, .text(""), nil]))
        #expect(try value(#"(,"q""\\",2)"#, type, form) == .structure([nil, .text("q\"\\"), .text("2")]))
        #expect(try value("(,,)", type, form) == .structure([nil, nil, nil]))
        #expect(throws: ValueFailure.self) { try value("(1,2)", type, form) }
        // Records inside an array: the array quotes the record, the record quotes its own fields.
        let list = ColumnType.list(type)
        let listForm = PGValueForm.array(element: form, elementOID: 99999)
        #expect(
            try value(#"{"(1,\"a,b\",)",NULL}"#, list, listForm)
                == .list([.structure([.int(1), .text("a,b"), nil]), nil]))
    }

    @Test func arraysThatAreNotOneDimensionalFromOneFail() {
        let form = PGValueForm.array(element: .native, elementOID: 23)
        #expect(throws: ValueFailure.notOneDimensional(dimensions: 2, lowerBound: 1)) {
            try value("{{1,2},{3,4}}", .list(.int32), form)
        }
        #expect(throws: ValueFailure.notOneDimensional(dimensions: 1, lowerBound: 0)) {
            try value("[0:1]={7,8}", .list(.int32), form)
        }
        #expect(throws: ValueFailure.self) { try value("{1,2", .list(.int32), form) }
        #expect(throws: ValueFailure.self) { try value(#"{"1}"#, .list(.int32), form) }
    }

    @Test func binaryArraysAndRecordsReadAsTheirTextForms() throws {
        // ARRAY[1,NULL,3]::int4[] and ROW(7, 'ab') as the server sends them (postgres-wire.md A.4).
        let array: [UInt8] = [
            0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 255, 255, 255, 255, 0,
            0, 0, 4, 0, 0, 0, 3,
        ]
        let form = PGValueForm.array(element: .native, elementOID: 23)
        let decoded = try array.withUnsafeBytes { raw in
            Result { () throws(ValueFailure) in try TupleBinary.value(raw, type: .list(.int32), form: form) }
        }.get()
        #expect(decoded == .list([.int(1), nil, .int(3)]))
        let record: [UInt8] = [0, 0, 0, 2, 0, 0, 0, 23, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 25, 0, 0, 0, 2, 97, 98]
        let type = ColumnType.structure([StructField(name: "n", type: .int32), StructField(name: "s", type: .text)])
        let recordForm = PGValueForm.composite(fields: [.native, .native], fieldOIDs: [23, 25])
        let fields = try record.withUnsafeBytes { raw in
            Result { () throws(ValueFailure) in try TupleBinary.value(raw, type: type, form: recordForm) }
        }.get()
        #expect(fields == .structure([.int(7), .text("ab")]))
        let twoByTwo: [UInt8] = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1]
        #expect(throws: ValueFailure.notOneDimensional(dimensions: 2, lowerBound: 1)) {
            try twoByTwo.withUnsafeBytes { raw in
                Result { () throws(ValueFailure) in try TupleBinary.value(raw, type: .list(.int32), form: form) }
            }.get()
        }
    }
}
