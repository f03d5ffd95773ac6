/// `PageType`.
enum PageType {
    static let dataPage: Int32 = 0
    static let indexPage: Int32 = 1
    static let dictionaryPage: Int32 = 2
    static let dataPageV2: Int32 = 3
}

/// `Encoding` enum values.
enum Encoding {
    static let plain: Int32 = 0
    static let plainDictionary: Int32 = 2
    static let rle: Int32 = 3
    static let bitPacked: Int32 = 4
    static let deltaBinaryPacked: Int32 = 5
    static let deltaLengthByteArray: Int32 = 6
    static let deltaByteArray: Int32 = 7
    static let rleDictionary: Int32 = 8
    static let byteStreamSplit: Int32 = 9
}

/// `PageHeader`: precedes every page in a column chunk.
struct PageHeader: ThriftEncodable {
    var type: Int32 = PageType.dataPage
    /// Size of the page body after decompression (levels and values), excluding this header.
    var uncompressedPageSize: Int32 = 0
    /// Size of the page body as stored, excluding this header.
    var compressedPageSize: Int32 = 0
    var crc: Int32?
    var dataPageHeader: DataPageHeader?
    var dictionaryPageHeader: DictionaryPageHeader?
    var dataPageHeaderV2: DataPageHeaderV2?

    init() {}

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: type)
        writer.field(2, i32: uncompressedPageSize)
        writer.field(3, i32: compressedPageSize)
        writer.field(4, i32: crc)
        writer.field(5, struct: dataPageHeader)
        writer.field(7, struct: dictionaryPageHeader)
        writer.field(8, struct: dataPageHeaderV2)
    }

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var sawType = false
        var sawSizes = 0
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1:
                self.type = try reader.readI32(type)
                sawType = true
            case 2:
                uncompressedPageSize = try reader.readI32(type)
                sawSizes += 1
            case 3:
                compressedPageSize = try reader.readI32(type)
                sawSizes += 1
            case 4: crc = try reader.readI32(type)
            case 5: dataPageHeader = try DataPageHeader(from: &reader, type)
            case 7: dictionaryPageHeader = try DictionaryPageHeader(from: &reader, type)
            case 8: dataPageHeaderV2 = try DataPageHeaderV2(from: &reader, type)
            default: try reader.skip(type)
            }
        }
        guard sawType, sawSizes == 2, uncompressedPageSize >= 0, compressedPageSize >= 0 else {
            throw reader.corrupt("PageHeader lacks its type or sizes")
        }
    }
}

/// `DataPageHeader` (data page V1).
struct DataPageHeader: ThriftEncodable {
    /// Values in the page including NULLs (for flat columns: rows).
    var numValues: Int32 = 0
    var encoding: Int32 = Encoding.plain
    var definitionLevelEncoding: Int32 = Encoding.rle
    var repetitionLevelEncoding: Int32 = Encoding.rle

    init(numValues: Int32, encoding: Int32) {
        self.numValues = numValues
        self.encoding = encoding
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: numValues)
        writer.field(2, i32: encoding)
        writer.field(3, i32: definitionLevelEncoding)
        writer.field(4, i32: repetitionLevelEncoding)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("DataPageHeader is not a struct") }
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: numValues = try reader.readI32(type)
            case 2: encoding = try reader.readI32(type)
            case 3: definitionLevelEncoding = try reader.readI32(type)
            case 4: repetitionLevelEncoding = try reader.readI32(type)
            default: try reader.skip(type)
            }
        }
    }
}

/// `DictionaryPageHeader`.
struct DictionaryPageHeader: ThriftEncodable {
    var numValues: Int32 = 0
    var encoding: Int32 = Encoding.plain

    init(numValues: Int32) {
        self.numValues = numValues
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: numValues)
        writer.field(2, i32: encoding)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("DictionaryPageHeader is not a struct") }
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: numValues = try reader.readI32(type)
            case 2: encoding = try reader.readI32(type)
            default: try reader.skip(type)
            }
        }
    }
}

/// `DataPageHeaderV2`: levels come first, uncompressed and without length prefixes; only the values section is
/// compressed (when `isCompressed`).
struct DataPageHeaderV2: ThriftEncodable {
    var numValues: Int32 = 0
    var numNulls: Int32 = 0
    var numRows: Int32 = 0
    var encoding: Int32 = Encoding.plain
    var definitionLevelsByteLength: Int32 = 0
    var repetitionLevelsByteLength: Int32 = 0
    var isCompressed = true

    init() {}

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: numValues)
        writer.field(2, i32: numNulls)
        writer.field(3, i32: numRows)
        writer.field(4, i32: encoding)
        writer.field(5, i32: definitionLevelsByteLength)
        writer.field(6, i32: repetitionLevelsByteLength)
        writer.field(7, bool: isCompressed)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("DataPageHeaderV2 is not a struct") }
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: numValues = try reader.readI32(type)
            case 2: numNulls = try reader.readI32(type)
            case 3: numRows = try reader.readI32(type)
            case 4: encoding = try reader.readI32(type)
            case 5: definitionLevelsByteLength = try reader.readI32(type)
            case 6: repetitionLevelsByteLength = try reader.readI32(type)
            case 7: isCompressed = try reader.readBool(type)
            default: try reader.skip(type)
            }
        }
        guard definitionLevelsByteLength >= 0, repetitionLevelsByteLength >= 0, numValues >= 0 else {
            throw reader.corrupt("DataPageHeaderV2 has negative sizes")
        }
    }
}
