import Testing

@testable import Parquet

private struct Inner: ThriftEncodable {
    var value: Int32
    func encode(to writer: inout ThriftCompactWriter) { writer.field(1, i32: value) }
}

@Suite struct ThriftCompactTests {
    @Test func varintsAndZigZagHaveTheirGoldenBytes() {
        func varint(_ value: UInt64) -> [UInt8] {
            var writer = ThriftCompactWriter()
            writer.writeVarint(value)
            return writer.bytes
        }
        func zigzag(_ value: Int64) -> [UInt8] {
            var writer = ThriftCompactWriter()
            writer.writeZigZag(value)
            return writer.bytes
        }
        #expect(varint(0) == [0x00])
        #expect(varint(1) == [0x01])
        #expect(varint(127) == [0x7F])
        #expect(varint(128) == [0x80, 0x01])
        #expect(varint(300) == [0xAC, 0x02])
        #expect(varint(.max) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(zigzag(0) == [0x00])
        #expect(zigzag(-1) == [0x01])
        #expect(zigzag(1) == [0x02])
        #expect(zigzag(-2) == [0x03])
        #expect(zigzag(2_147_483_647) == [0xFE, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(zigzag(.min) == varint(.max))
    }

    @Test func varintsAndZigZagRoundTrip() throws {
        let values: [Int64] = [0, 1, -1, 63, -64, 64, 300, -300, 1 << 40, .max, .min, Int64(Int32.min)]
        var writer = ThriftCompactWriter()
        for value in values { writer.writeZigZag(value) }
        var reader = ThriftCompactReader(bytes: writer.bytes, context: "test")
        for value in values { #expect(try reader.readZigZag() == value) }
        #expect(reader.position == writer.bytes.count)
    }

    @Test func fieldHeadersUseDeltasThenTheLongForm() {
        var writer = ThriftCompactWriter()
        writer.field(1, i32: 5)
        writer.field(3, string: "ab")
        writer.field(20, i64: -1)
        writer.field(21, bool: true)
        writer.field(22, bool: false)
        writer.field(2, i32: 1)
        #expect(
            writer.bytes == [
                0x15, 0x0A,  // field 1 (delta 1), i32 5 (zigzag 10)
                0x28, 0x02, 0x61, 0x62,  // field 3 (delta 2), binary "ab"
                0x06, 0x28, 0x01,  // field 20: delta 17 > 15, long form with zigzag id 40; i64 -1
                0x11,  // field 21, bool true in the type nibble
                0x12,  // field 22, bool false
                0x05, 0x04, 0x02,  // field 2: a negative delta, long form
            ])
    }

    @Test func nestedStructsCountFieldIdsAfresh() {
        var writer = ThriftCompactWriter()
        writer.field(1, struct: Inner(value: 7))
        writer.field(2, i32: 1)
        #expect(writer.bytes == [0x1C, 0x15, 0x0E, 0x00, 0x15, 0x02])
    }

    @Test func listHeadersAreShortBelowFifteenElements() {
        var writer = ThriftCompactWriter()
        writer.field(1, i32s: [1, 2, 3])
        #expect(writer.bytes == [0x19, 0x35, 0x02, 0x04, 0x06])
        var long = ThriftCompactWriter()
        long.field(1, strings: Array(repeating: "", count: 20))
        #expect(Array(long.bytes.prefix(3)) == [0x19, 0xF8, 0x14])
        var bools = ThriftCompactWriter()
        bools.field(1, bools: [true, false])
        #expect(bools.bytes == [0x19, 0x21, 0x01, 0x00])
    }

    @Test func doublesAreLittleEndian() {
        var writer = ThriftCompactWriter()
        writer.field(1, double: 1.0)
        #expect(writer.bytes == [0x17, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    }

    @Test func readerSkipsUnknownFieldsOfEveryType() throws {
        var writer = ThriftCompactWriter()
        writer.field(1, string: "key")
        writer.field(3, i8: -3)
        writer.field(4, i16: 300)
        writer.field(5, double: 2.5)
        writer.field(6, binary: [1, 2, 3])
        writer.field(7, structs: [Inner(value: 1), Inner(value: 2)])
        writer.field(8, bools: [true, false, true])
        writer.field(9, struct: Inner(value: 9))
        // A map<i32, binary> with two entries, written by hand (the writer has no map support).
        writer.writeFieldHeader(10, .map)
        writer.writeVarint(2)
        writer.writeByte(ThriftType.i32.rawValue << 4 | ThriftType.binary.rawValue)
        for entry in [(Int64(1), "a"), (Int64(2), "bc")] {
            writer.writeZigZag(entry.0)
            writer.writeString(entry.1)
        }
        writer.writeFieldHeader(11, .map)
        writer.writeVarint(0)  // empty map: no type byte
        writer.field(32767, i64s: [1, 2])
        writer.field(32767, bool: true)
        // The known field comes last, after a long-form id jump backwards.
        writer.field(2, string: "value")
        writer.writeByte(0)
        var reader = ThriftCompactReader(bytes: writer.bytes, context: "test")
        let decoded = try KeyValue(from: &reader)
        #expect(decoded.key == "key")
        #expect(decoded.value == "value")
        #expect(reader.position == writer.bytes.count)
    }

    @Test func truncatedOrMalformedInputThrowsCorrupt() {
        var writer = ThriftCompactWriter()
        writer.field(1, string: "key")
        writer.field(2, string: "value")
        writer.writeByte(0)
        for length in 0..<writer.bytes.count {
            var reader = ThriftCompactReader(bytes: Array(writer.bytes.prefix(length)), context: "test")
            #expect(throws: ParquetError.self) { try KeyValue(from: &reader) }
        }
        // Field 1 declared as i32 where a string is expected.
        var wrongType = ThriftCompactReader(bytes: [0x15, 0x02, 0x00], context: "test")
        let error = #expect(throws: ParquetError.self) { try KeyValue(from: &wrongType) }
        #expect(error?.code == .corrupt)
        // Deep nesting is refused rather than recursing without bound.
        var deep: [UInt8] = [0x3C] + [UInt8](repeating: 0x1C, count: 200)
        deep.append(contentsOf: [UInt8](repeating: 0, count: 201))
        var deepReader = ThriftCompactReader(bytes: deep, context: "test")
        #expect(throws: ParquetError.self) { try KeyValue(from: &deepReader) }
    }

    @Test func footerStructuresRoundTrip() throws {
        var metadata = FileMetaData()
        metadata.numRows = 42
        metadata.createdBy = "test"
        var root = SchemaElement(name: "schema")
        root.numChildren = 2
        var decimal = SchemaElement(name: "price")
        decimal.type = 7
        decimal.typeLength = 16
        decimal.repetitionType = 1
        decimal.logicalType = LogicalTypeAnnotation(.decimal(precision: 38, scale: 10))
        var stamp = SchemaElement(name: "at")
        stamp.type = 2
        stamp.logicalType = LogicalTypeAnnotation(.timestamp(utcAdjusted: false, unit: .nanoseconds))
        metadata.schema = [root, decimal, stamp]
        var group = RowGroup()
        group.numRows = 42
        var column = ColumnMetaData()
        column.encodings = [0, 3, 8]
        column.pathInSchema = ["price"]
        column.dataPageOffset = 1234
        column.dictionaryPageOffset = 4
        var statistics = Statistics()
        statistics.minValue = [1, 2]
        statistics.maxValue = [3]
        statistics.nullCount = 7
        column.statistics = statistics
        group.columns = [ColumnChunk(metaData: column)]
        metadata.rowGroups = [group]
        metadata.keyValueMetadata = [KeyValue(key: "k", value: "v"), KeyValue(key: "empty", value: nil)]
        metadata.typeDefinedColumnOrders = 2
        var writer = ThriftCompactWriter()
        writer.writeStruct(metadata)
        var reader = ThriftCompactReader(bytes: writer.bytes, context: "test")
        let decoded = try FileMetaData(from: &reader)
        #expect(decoded.numRows == 42)
        #expect(decoded.createdBy == "test")
        #expect(decoded.schema.map(\.name) == ["schema", "price", "at"])
        #expect(decoded.schema[1].logicalType?.logicalType == .decimal(precision: 38, scale: 10))
        #expect(decoded.schema[1].typeLength == 16)
        #expect(
            decoded.schema[2].logicalType?.logicalType == .timestamp(utcAdjusted: false, unit: .nanoseconds))
        let chunk = try #require(decoded.rowGroups.first?.columns.first?.metaData)
        #expect(chunk.encodings == [0, 3, 8])
        #expect(chunk.dataPageOffset == 1234)
        #expect(chunk.dictionaryPageOffset == 4)
        #expect(chunk.statistics?.minValue == [1, 2])
        #expect(chunk.statistics?.nullCount == 7)
        #expect(decoded.keyValueMetadata?.map(\.key) == ["k", "empty"])
        #expect(decoded.keyValueMetadata?.last?.value == nil)
    }
}
