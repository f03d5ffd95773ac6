/// Parses Thrift compact protocol structs (Parquet's footer and page headers) from a byte buffer.
///
/// Unknown fields are skipped by wire type, recursing into structs, lists and maps, because the format keeps
/// growing new optional fields (size statistics, geospatial statistics, ...) that old readers must ignore.
/// Every read is bounds-checked and nesting is limited, so a corrupt footer fails with a ``ParquetError``
/// instead of crashing or looping.
struct ThriftCompactReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int
    private var lastFieldId: Int16 = 0
    private var fieldIdStack: [Int16] = []
    /// Names what is being parsed, for error messages ("footer of /data/x.parquet").
    private let context: String
    private static let maxDepth = 64

    init(bytes: [UInt8], position: Int = 0, end: Int? = nil, context: String) {
        self.bytes = bytes
        self.position = position
        self.end = min(end ?? bytes.count, bytes.count)
        self.context = context
    }

    func corrupt(_ what: String) -> ParquetError {
        ParquetError(.corrupt, "\(context): \(what) at byte \(position)")
    }

    // MARK: - Primitives

    mutating func readByte() throws(ParquetError) -> UInt8 {
        guard position < end else { throw corrupt("unexpected end of Thrift data") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readVarint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            guard shift < 64 else { throw corrupt("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readZigZag() throws(ParquetError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func readDouble() throws(ParquetError) -> Double {
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(try readByte()) << (8 * UInt64(index)) }
        return Double(bitPattern: bits)
    }

    mutating func readBinary() throws(ParquetError) -> [UInt8] {
        let length = try readVarint()
        guard length <= UInt64(end - position) else { throw corrupt("binary length \(length) past the end") }
        let start = position
        position += Int(length)
        return Array(bytes[start..<position])
    }

    mutating func readString() throws(ParquetError) -> String {
        String(decoding: try readBinary(), as: UTF8.self)
    }

    // MARK: - Typed field values (checked against the field header's wire type)

    private func expect(_ actual: ThriftType, _ expected: ThriftType) throws(ParquetError) {
        guard actual == expected else { throw corrupt("field has wire type \(actual), expected \(expected)") }
    }

    mutating func readI64(_ type: ThriftType) throws(ParquetError) -> Int64 {
        try expect(type, .i64)
        return try readZigZag()
    }

    mutating func readI32(_ type: ThriftType) throws(ParquetError) -> Int32 {
        try expect(type, .i32)
        let value = try readZigZag()
        guard let result = Int32(exactly: value) else { throw corrupt("i32 out of range: \(value)") }
        return result
    }

    mutating func readI16(_ type: ThriftType) throws(ParquetError) -> Int16 {
        try expect(type, .i16)
        let value = try readZigZag()
        guard let result = Int16(exactly: value) else { throw corrupt("i16 out of range: \(value)") }
        return result
    }

    mutating func readI8(_ type: ThriftType) throws(ParquetError) -> Int8 {
        try expect(type, .byte)
        return Int8(bitPattern: try readByte())
    }

    /// A bool struct field: the value is the type nibble itself.
    func readBool(_ type: ThriftType) throws(ParquetError) -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw corrupt("field has wire type \(type), expected bool")
        }
    }

    mutating func readBinary(_ type: ThriftType) throws(ParquetError) -> [UInt8] {
        try expect(type, .binary)
        return try readBinary()
    }

    mutating func readString(_ type: ThriftType) throws(ParquetError) -> String {
        try expect(type, .binary)
        return try readString()
    }

    // MARK: - Structure

    private mutating func readType(_ nibble: UInt8) throws(ParquetError) -> ThriftType {
        guard let type = ThriftType(rawValue: nibble) else { throw corrupt("unknown Thrift wire type \(nibble)") }
        return type
    }

    /// Reads a struct: calls `field` for each field header until the stop byte. `field` must consume the value,
    /// typically by switching on the id and calling ``skip(_:)`` for ids it doesn't know.
    mutating func readStruct(
        _ field: (inout ThriftCompactReader, Int16, ThriftType) throws(ParquetError) -> Void
    ) throws(ParquetError) {
        guard fieldIdStack.count < Self.maxDepth else { throw corrupt("structs nested too deeply") }
        fieldIdStack.append(lastFieldId)
        lastFieldId = 0
        while true {
            let header = try readByte()
            if header == 0 { break }
            let type = try readType(header & 0x0F)
            let delta = Int16(header >> 4)
            let id: Int16
            if delta == 0 {
                let raw = try readZigZag()
                guard let long = Int16(exactly: raw) else { throw corrupt("field id out of range: \(raw)") }
                id = long
            } else {
                id = lastFieldId &+ delta
            }
            lastFieldId = id
            try field(&self, id, type)
        }
        lastFieldId = fieldIdStack.removeLast()
    }

    /// Reads a list (or set) header: element type and count.
    mutating func readListHeader() throws(ParquetError) -> (type: ThriftType, count: Int) {
        let header = try readByte()
        let type = try readType(header & 0x0F)
        var count = UInt64(header >> 4)
        if count == 15 { count = try readVarint() }
        // Every element takes at least one byte, except bools... which also take one byte in a list.
        guard count <= UInt64(end - position) else { throw corrupt("list of \(count) elements past the end") }
        return (type, Int(count))
    }

    /// Reads a list field whose elements `element` decodes one at a time.
    mutating func readList<T>(
        _ type: ThriftType, _ element: (inout ThriftCompactReader, ThriftType) throws(ParquetError) -> T
    ) throws(ParquetError) -> [T] {
        try expect(type, .list)
        let header = try readListHeader()
        var result: [T] = []
        result.reserveCapacity(header.count)
        for _ in 0..<header.count { result.append(try element(&self, header.type)) }
        return result
    }

    /// Reads a list of i32 or enum values. Elements are zigzag varints.
    mutating func readI32List(_ type: ThriftType) throws(ParquetError) -> [Int32] {
        try readList(type) { reader, elementType throws(ParquetError) in try reader.readI32(elementType) }
    }

    mutating func readStringList(_ type: ThriftType) throws(ParquetError) -> [String] {
        try readList(type) { reader, elementType throws(ParquetError) in try reader.readString(elementType) }
    }

    /// Skips a value of any type, recursing into containers.
    mutating func skip(_ type: ThriftType) throws(ParquetError) {
        try skip(type, depth: 0)
    }

    private mutating func skip(_ type: ThriftType, depth: Int) throws(ParquetError) {
        guard depth < Self.maxDepth else { throw corrupt("values nested too deeply") }
        switch type {
        case .stop: throw corrupt("unexpected stop type")
        case .boolTrue, .boolFalse: return
        case .byte: position += 1
        case .i16, .i32, .i64: _ = try readVarint()
        case .double: position += 8
        case .binary: _ = try readBinary()
        case .list, .set:
            let header = try readListHeader()
            for _ in 0..<header.count {
                if header.type == .boolTrue || header.type == .boolFalse {
                    _ = try readByte()
                } else {
                    try skip(header.type, depth: depth + 1)
                }
            }
        case .map:
            let count = try readVarint()
            guard count > 0 else { return }
            guard count <= UInt64(end - position) else { throw corrupt("map of \(count) entries past the end") }
            let types = try readByte()
            let keyType = try readType(types >> 4)
            let valueType = try readType(types & 0x0F)
            for _ in 0..<count {
                try skipElement(keyType, depth: depth + 1)
                try skipElement(valueType, depth: depth + 1)
            }
        case .structure:
            try readStruct { reader, _, fieldType throws(ParquetError) in
                try reader.skip(fieldType, depth: depth + 1)
            }
        }
        guard position <= end else { throw corrupt("value runs past the end") }
    }

    /// Container elements of type bool are a byte each, unlike bool fields.
    private mutating func skipElement(_ type: ThriftType, depth: Int) throws(ParquetError) {
        if type == .boolTrue || type == .boolFalse {
            _ = try readByte()
        } else {
            try skip(type, depth: depth)
        }
    }
}
