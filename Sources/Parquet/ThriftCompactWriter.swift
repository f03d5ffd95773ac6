/// Wire type ids of the Thrift compact protocol (the low nibble of a field header or list header).
enum ThriftType: UInt8 {
    case stop = 0
    case boolTrue = 1
    case boolFalse = 2
    case byte = 3
    case i16 = 4
    case i32 = 5
    case i64 = 6
    case double = 7
    case binary = 8
    case list = 9
    case set = 10
    case map = 11
    case structure = 12
}

/// A Thrift struct that can write its fields in the compact protocol.
protocol ThriftEncodable {
    /// Writes the fields (not the stop byte; ``ThriftCompactWriter/writeStruct(_:)`` adds it).
    func encode(to writer: inout ThriftCompactWriter)
}

/// Serialises Parquet's footer and page headers in the Thrift compact protocol, without the Thrift compiler.
///
/// Field headers carry the delta from the previous field id in the same struct, so the writer keeps a stack of
/// "last field id" across nested structs.
struct ThriftCompactWriter {
    private(set) var bytes: [UInt8]
    private var lastFieldId: Int16 = 0
    private var fieldIdStack: [Int16] = []

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: - Primitives

    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func writeZigZag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeDouble(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeBinary(_ value: [UInt8]) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    // MARK: - Structure

    /// Writes a field header: the short form when the id delta is 1...15, the long form otherwise.
    mutating func writeFieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = Int(id) - Int(lastFieldId)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeZigZag(Int64(id))
        }
        lastFieldId = id
    }

    /// Writes a list header; the element count sits in the high nibble when it is below 15.
    mutating func writeListHeader(_ elementType: ThriftType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    /// Writes a nested struct: its fields, then the stop byte, with field ids counted afresh inside.
    mutating func writeStruct(_ value: some ThriftEncodable) {
        fieldIdStack.append(lastFieldId)
        lastFieldId = 0
        value.encode(to: &self)
        bytes.append(ThriftType.stop.rawValue)
        lastFieldId = fieldIdStack.removeLast()
    }

    /// Writes an empty struct (the marker structs of Thrift unions such as `StringType {}`).
    mutating func writeEmptyStruct() {
        bytes.append(ThriftType.stop.rawValue)
    }

    // MARK: - Fields

    mutating func field(_ id: Int16, i32 value: Int32?) {
        guard let value else { return }
        writeFieldHeader(id, .i32)
        writeZigZag(Int64(value))
    }

    mutating func field(_ id: Int16, i64 value: Int64?) {
        guard let value else { return }
        writeFieldHeader(id, .i64)
        writeZigZag(value)
    }

    mutating func field(_ id: Int16, i16 value: Int16?) {
        guard let value else { return }
        writeFieldHeader(id, .i16)
        writeZigZag(Int64(value))
    }

    mutating func field(_ id: Int16, i8 value: Int8?) {
        guard let value else { return }
        writeFieldHeader(id, .byte)
        bytes.append(UInt8(bitPattern: value))
    }

    /// Booleans carry no payload: the value is the field header's type nibble.
    mutating func field(_ id: Int16, bool value: Bool?) {
        guard let value else { return }
        writeFieldHeader(id, value ? .boolTrue : .boolFalse)
    }

    mutating func field(_ id: Int16, double value: Double?) {
        guard let value else { return }
        writeFieldHeader(id, .double)
        writeDouble(value)
    }

    mutating func field(_ id: Int16, binary value: [UInt8]?) {
        guard let value else { return }
        writeFieldHeader(id, .binary)
        writeBinary(value)
    }

    mutating func field(_ id: Int16, string value: String?) {
        guard let value else { return }
        writeFieldHeader(id, .binary)
        writeString(value)
    }

    mutating func field(_ id: Int16, struct value: (some ThriftEncodable)?) {
        guard let value else { return }
        writeFieldHeader(id, .structure)
        writeStruct(value)
    }

    /// An empty struct field: how a Thrift union names its variant (`LogicalType.STRING = StringType {}`).
    mutating func emptyStructField(_ id: Int16) {
        writeFieldHeader(id, .structure)
        writeEmptyStruct()
    }

    mutating func field(_ id: Int16, structs values: [some ThriftEncodable]?) {
        guard let values else { return }
        writeFieldHeader(id, .list)
        writeListHeader(.structure, count: values.count)
        for value in values { writeStruct(value) }
    }

    mutating func field(_ id: Int16, i32s values: [Int32]?) {
        guard let values else { return }
        writeFieldHeader(id, .list)
        writeListHeader(.i32, count: values.count)
        for value in values { writeZigZag(Int64(value)) }
    }

    mutating func field(_ id: Int16, i64s values: [Int64]?) {
        guard let values else { return }
        writeFieldHeader(id, .list)
        writeListHeader(.i64, count: values.count)
        for value in values { writeZigZag(value) }
    }

    mutating func field(_ id: Int16, strings values: [String]?) {
        guard let values else { return }
        writeFieldHeader(id, .list)
        writeListHeader(.binary, count: values.count)
        for value in values { writeString(value) }
    }

    /// List elements of type bool are one byte each (unlike bool fields).
    mutating func field(_ id: Int16, bools values: [Bool]?) {
        guard let values else { return }
        writeFieldHeader(id, .list)
        writeListHeader(.boolTrue, count: values.count)
        for value in values { bytes.append(value ? 1 : 0) }
    }
}
