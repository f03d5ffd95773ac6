/// `SchemaElement`: one node of the depth-first schema list in the footer (the root, groups and leaf columns).
struct SchemaElement: ThriftEncodable {
    var type: Int32?
    var typeLength: Int32?
    /// REQUIRED = 0, OPTIONAL = 1, REPEATED = 2.
    var repetitionType: Int32?
    var name: String
    var numChildren: Int32?
    var convertedType: Int32?
    var scale: Int32?
    var precision: Int32?
    var fieldId: Int32?
    var logicalType: LogicalTypeAnnotation?

    init(name: String) {
        self.name = name
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: type)
        writer.field(2, i32: typeLength)
        writer.field(3, i32: repetitionType)
        writer.field(4, string: name)
        writer.field(5, i32: numChildren)
        writer.field(6, i32: convertedType)
        writer.field(7, i32: scale)
        writer.field(8, i32: precision)
        writer.field(9, i32: fieldId)
        writer.field(10, struct: logicalType)
    }

    init(from reader: inout ThriftCompactReader) throws(ParquetError) {
        var name: String?
        var element = SchemaElement(name: "")
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: element.type = try reader.readI32(type)
            case 2: element.typeLength = try reader.readI32(type)
            case 3: element.repetitionType = try reader.readI32(type)
            case 4: name = try reader.readString(type)
            case 5: element.numChildren = try reader.readI32(type)
            case 6: element.convertedType = try reader.readI32(type)
            case 7: element.scale = try reader.readI32(type)
            case 8: element.precision = try reader.readI32(type)
            case 9: element.fieldId = try reader.readI32(type)
            case 10: element.logicalType = try LogicalTypeAnnotation(from: &reader, type)
            default: try reader.skip(type)
            }
        }
        guard let name else { throw reader.corrupt("SchemaElement without a name") }
        element.name = name
        self = element
    }
}

/// Legacy `ConvertedType` values this library writes or understands.
enum ConvertedType {
    static let utf8: Int32 = 0
    static let map: Int32 = 1
    static let mapKeyValue: Int32 = 2
    static let list: Int32 = 3
    static let enumeration: Int32 = 4
    static let decimal: Int32 = 5
    static let date: Int32 = 6
    static let timeMillis: Int32 = 7
    static let timeMicros: Int32 = 8
    static let timestampMillis: Int32 = 9
    static let timestampMicros: Int32 = 10
    static let uint8: Int32 = 11
    static let int8: Int32 = 15
    static let json: Int32 = 19
}

/// The `LogicalType` union. `LIST`, `MAP` and annotations this library has no case for decode as `.none` with
/// `variant` recording which union member was present.
struct LogicalTypeAnnotation: ThriftEncodable {
    var logicalType: LogicalType
    /// The union field id that was read (1 STRING ... 18 GEOGRAPHY).
    var variant: Int16

    init(_ logicalType: LogicalType) {
        self.logicalType = logicalType
        variant = 0
    }

    /// The LIST (3) or MAP (2) annotation of a group, which has no ``LogicalType`` case.
    init(groupVariant: Int16) {
        logicalType = .none
        variant = groupVariant
    }

    static let listVariant: Int16 = 3
    static let mapVariant: Int16 = 2

    func encode(to writer: inout ThriftCompactWriter) {
        switch logicalType {
        case .none:
            if variant == Self.listVariant || variant == Self.mapVariant { writer.emptyStructField(variant) }
        case .string: writer.emptyStructField(1)
        case .enumeration: writer.emptyStructField(4)
        case .decimal(let precision, let scale):
            writer.field(5, struct: DecimalTypeStruct(scale: Int32(scale), precision: Int32(precision)))
        case .date: writer.emptyStructField(6)
        case .time(let utcAdjusted, let unit):
            writer.field(7, struct: TimeTypeStruct(utcAdjusted: utcAdjusted, unit: unit))
        case .timestamp(let utcAdjusted, let unit):
            writer.field(8, struct: TimeTypeStruct(utcAdjusted: utcAdjusted, unit: unit))
        case .integer(let bitWidth, let signed):
            writer.field(10, struct: IntTypeStruct(bitWidth: Int8(clamping: bitWidth), signed: signed))
        case .json: writer.emptyStructField(12)
        case .uuid: writer.emptyStructField(14)
        }
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("LogicalType is not a struct") }
        var result = LogicalType.none
        var variant: Int16 = 0
        try reader.readStruct { reader, id, type throws(ParquetError) in
            variant = id
            switch id {
            case 1: result = .string
            case 4: result = .enumeration
            case 6: result = .date
            case 12: result = .json
            case 14: result = .uuid
            case 5:
                let decimal = try DecimalTypeStruct(from: &reader, type)
                result = .decimal(precision: Int(decimal.precision), scale: Int(decimal.scale))
                return
            case 7, 8:
                let time = try TimeTypeStruct(from: &reader, type)
                result =
                    id == 7
                    ? .time(utcAdjusted: time.utcAdjusted, unit: time.unit)
                    : .timestamp(utcAdjusted: time.utcAdjusted, unit: time.unit)
                return
            case 10:
                let integer = try IntTypeStruct(from: &reader, type)
                result = .integer(bitWidth: Int(integer.bitWidth), signed: integer.signed)
                return
            default: result = .none
            }
            try reader.skip(type)
        }
        logicalType = result
        self.variant = variant
    }
}

/// `DecimalType { 1: scale, 2: precision }`.
private struct DecimalTypeStruct: ThriftEncodable {
    var scale: Int32
    var precision: Int32

    init(scale: Int32, precision: Int32) {
        self.scale = scale
        self.precision = precision
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i32: scale)
        writer.field(2, i32: precision)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("DecimalType is not a struct") }
        var scale: Int32 = 0
        var precision: Int32 = 0
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: scale = try reader.readI32(type)
            case 2: precision = try reader.readI32(type)
            default: try reader.skip(type)
            }
        }
        self.scale = scale
        self.precision = precision
    }
}

/// `TimestampType` and `TimeType`: `{ 1: isAdjustedToUTC, 2: unit (union MILLIS=1, MICROS=2, NANOS=3) }`.
private struct TimeTypeStruct: ThriftEncodable {
    var utcAdjusted: Bool
    var unit: TimeUnit

    init(utcAdjusted: Bool, unit: TimeUnit) {
        self.utcAdjusted = utcAdjusted
        self.unit = unit
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, bool: utcAdjusted)
        writer.field(2, struct: TimeUnitStruct(unit: unit))
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("TimestampType is not a struct") }
        var utcAdjusted = false
        var unit = TimeUnit.microseconds
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: utcAdjusted = try reader.readBool(type)
            case 2:
                guard type == .structure else { throw reader.corrupt("TimeUnit is not a struct") }
                try reader.readStruct { reader, id, type throws(ParquetError) in
                    switch id {
                    case 1: unit = .milliseconds
                    case 3: unit = .nanoseconds
                    default: unit = .microseconds
                    }
                    try reader.skip(type)
                }
            default: try reader.skip(type)
            }
        }
        self.utcAdjusted = utcAdjusted
        self.unit = unit
    }
}

/// The `TimeUnit` union.
private struct TimeUnitStruct: ThriftEncodable {
    var unit: TimeUnit

    func encode(to writer: inout ThriftCompactWriter) {
        switch unit {
        case .milliseconds: writer.emptyStructField(1)
        case .microseconds: writer.emptyStructField(2)
        case .nanoseconds: writer.emptyStructField(3)
        }
    }
}

/// `IntType { 1: i8 bitWidth, 2: bool isSigned }`.
private struct IntTypeStruct: ThriftEncodable {
    var bitWidth: Int8
    var signed: Bool

    init(bitWidth: Int8, signed: Bool) {
        self.bitWidth = bitWidth
        self.signed = signed
    }

    func encode(to writer: inout ThriftCompactWriter) {
        writer.field(1, i8: bitWidth)
        writer.field(2, bool: signed)
    }

    init(from reader: inout ThriftCompactReader, _ type: ThriftType) throws(ParquetError) {
        guard type == .structure else { throw reader.corrupt("IntType is not a struct") }
        var bitWidth: Int8 = 32
        var signed = true
        try reader.readStruct { reader, id, type throws(ParquetError) in
            switch id {
            case 1: bitWidth = try reader.readI8(type)
            case 2: signed = try reader.readBool(type)
            default: try reader.skip(type)
            }
        }
        self.bitWidth = bitWidth
        self.signed = signed
    }
}
