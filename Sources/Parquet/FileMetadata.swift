// The footer structures of parquet.thrift, with the field ids of apache/parquet-format. Only the fields this
// library writes or reads are modelled; everything else is skipped on read.

/// `FileMetaData`: the footer.
struct FileMetaData: ThriftEncodable {
    var version: Int32 = 2
    var schema: [SchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RowGroup] = []
    var keyValueMetadata: [KeyValue]?
    var createdBy: String?
    /// One `TypeDefinedOrder` per leaf column; readers only trust `min_value`/`max_value` when it is present.
    var typeDefinedColumnOrders: Int?
    /// Set when the file is encrypted (field 8), which this library cannot read.
    var encrypted = false

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: version)
        writer.field(2, structs: schema)
        writer.field(3, i64: numRows)
        writer.field(4, structs: rowGroups)
        writer.field(5, structs: keyValueMetadata)
        writer.field(6, string: createdBy)
        if let count = typeDefinedColumnOrders {
            writer.writeFieldHeader(7, .list)
            writer.writeListHeader(.structure, count: count)
            for _ in 0..<count {
                // union ColumnOrder { 1: TypeDefinedOrder TYPE_ORDER }
                writer.writeStruct(TypeDefinedOrder())
            }
        }
    }

    init() {}

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var sawVersion = false
        var sawSchema = false
        var sawRows = false
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1:
                version = try reader.readI32(type)
                sawVersion = true
            case 2:
                schema = try reader.readList(type) { reader, _ throws(ParquetError) in
                    try SchemaElement(from: &reader)
                }
                sawSchema = true
            case 3:
                numRows = try reader.readI64(type)
                sawRows = true
            case 4:
                rowGroups = try reader.readList(type) { reader, _ throws(ParquetError) in try RowGroup(from: &reader) }
            case 5:
                keyValueMetadata = try reader.readList(type) { reader, _ throws(ParquetError) in
                    try KeyValue(from: &reader)
                }
            case 6: createdBy = try reader.readString(type)
            case 8:
                encrypted = true
                try reader.skip(type)
            default: try reader.skip(type)
            }
        }
        guard sawVersion, sawSchema, sawRows else { throw reader.corrupt("FileMetaData lacks a required field") }
    }
}

/// The `TypeDefinedOrder` variant of the `ColumnOrder` union.
private struct TypeDefinedOrder: ThriftEncodable {
    func encode(to writer: inout ThriftCompactWriter) {
        writer.emptyStructField(1)
    }
}

/// `KeyValue`: one entry of free-form footer metadata.
struct KeyValue: ThriftEncodable {
    var key: String
    var value: String?

    init(key: String, value: String?) {
        self.key = key
        self.value = value
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, string: key)
        writer.field(2, string: value)
    }

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var key: String?
        var value: String?
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: key = try reader.readString(type)
            case 2: value = try reader.readString(type)
            default: try reader.skip(type)
            }
        }
        guard let key else { throw reader.corrupt("KeyValue without a key") }
        self.key = key
        self.value = value
    }
}

/// `RowGroup`.
struct RowGroup: ThriftEncodable {
    var columns: [ColumnChunk] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
    var fileOffset: Int64?
    var totalCompressedSize: Int64?
    var ordinal: Int16?

    init() {}

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, structs: columns)
        writer.field(2, i64: totalByteSize)
        writer.field(3, i64: numRows)
        writer.field(5, i64: fileOffset)
        writer.field(6, i64: totalCompressedSize)
        writer.field(7, i16: ordinal)
    }

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1:
                columns = try reader.readList(type) { reader, _ throws(ParquetError) in try ColumnChunk(from: &reader) }
            case 2: totalByteSize = try reader.readI64(type)
            case 3: numRows = try reader.readI64(type)
            case 5: fileOffset = try reader.readI64(type)
            case 6: totalCompressedSize = try reader.readI64(type)
            case 7: ordinal = try reader.readI16(type)
            default: try reader.skip(type)
            }
        }
    }
}

/// `ColumnChunk`: where one column of one row group lives.
struct ColumnChunk: ThriftEncodable {
    /// Non-nil when the chunk lives in another file, which this library doesn't support.
    var filePath: String?
    var metaData: ColumnMetaData?

    init(metaData: ColumnMetaData) {
        self.metaData = metaData
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, string: filePath)
        // Deprecated; "Writers should set this field to 0 if no ColumnMetaData has been written outside the footer".
        writer.field(2, i64: 0)
        writer.field(3, struct: metaData)
    }

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: filePath = try reader.readString(type)
            case 3: metaData = try ColumnMetaData(from: &reader, type)
            default: try reader.skip(type)
            }
        }
    }
}

/// `ColumnMetaData`.
struct ColumnMetaData: ThriftEncodable {
    var type: Int32 = 0
    var encodings: [Int32] = []
    var pathInSchema: [String] = []
    var codec: Int32 = 0
    var numValues: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
    var statistics: Statistics?

    init() {}

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: type)
        writer.field(2, i32s: encodings)
        writer.field(3, strings: pathInSchema)
        writer.field(4, i32: codec)
        writer.field(5, i64: numValues)
        writer.field(6, i64: totalUncompressedSize)
        writer.field(7, i64: totalCompressedSize)
        writer.field(9, i64: dataPageOffset)
        writer.field(11, i64: dictionaryPageOffset)
        writer.field(12, struct: statistics)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("ColumnMetaData is not a struct") }
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: self.type = try reader.readI32(type)
            case 2: encodings = try reader.readI32List(type)
            case 3: pathInSchema = try reader.readStringList(type)
            case 4: codec = try reader.readI32(type)
            case 5: numValues = try reader.readI64(type)
            case 6: totalUncompressedSize = try reader.readI64(type)
            case 7: totalCompressedSize = try reader.readI64(type)
            case 9: dataPageOffset = try reader.readI64(type)
            case 11: dictionaryPageOffset = try reader.readI64(type)
            case 12: statistics = try Statistics(from: &reader, type)
            default: try reader.skip(type)
            }
        }
    }
}

/// `Statistics`. Only the unambiguous `min_value`/`max_value` (fields 6/5) are written; the deprecated
/// `min`/`max` (2/1) have an unspecified sort order for anything but signed integers.
struct Statistics: ThriftEncodable {
    var nullCount: Int64?
    var distinctCount: Int64?
    var maxValue: [UInt8]?
    var minValue: [UInt8]?
    var legacyMax: [UInt8]?
    var legacyMin: [UInt8]?

    init() {}

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(3, i64: nullCount)
        writer.field(4, i64: distinctCount)
        writer.field(5, binary: maxValue)
        writer.field(6, binary: minValue)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("Statistics is not a struct") }
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: legacyMax = try reader.readBinary(type)
            case 2: legacyMin = try reader.readBinary(type)
            case 3: nullCount = try reader.readI64(type)
            case 4: distinctCount = try reader.readI64(type)
            case 5: maxValue = try reader.readBinary(type)
            case 6: minValue = try reader.readBinary(type)
            default: try reader.skip(type)
            }
        }
    }
}
