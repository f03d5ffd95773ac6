import FerryCore

/// The column a COPY FROM writes into, as the catalog describes it.
struct CopyTargetColumn: Sendable {
    var name: String
    /// The OID whose binary `recv` format the server will apply (postgres-wire.md A.5: never the source's type).
    var typeOID: UInt32
    /// `format_type` of the column, for messages.
    var typeName: String
    /// The column's Ferry type and form, which say how an array's elements or a composite's fields are encoded.
    var type: ColumnType? = nil
    var form: PGValueForm = .native
}

/// Encodes `RecordBatch`es into the binary COPY stream for a given set of target columns.
///
/// The encoding follows the target's type, not the source's: an int32 source column going into a bigint column is
/// sent as 8 bytes, a uuid going into a text column as its 36-character text. Pairs that make no sense were already
/// refused by the schema check; `init` refuses any that slip through.
struct BinaryCopyEncoder {
    enum Field {
        case bool, int2, int4, int8, float4
        case float8FromDouble, float8FromInt
        case numericFromDecimal(scale: Int)
        case numericFromInt
        case numericFromText
        /// Bytes as they are: text into text-like, bytea into bytea, json into json.
        case raw
        case uuidAsText
        /// Canonical uuid text (a lake keeps uuids as strings) into a uuid column.
        case uuidFromText
        case jsonb
        case uuid
        case date, time, timestamp
        /// `array_send`: one dimension from 1 (none when empty), elements encoded as `element`.
        indirect case array(elementOID: UInt32, element: Field)
        /// `record_send`: each field with its type OID, encoded as its `Field`.
        case record(fieldOIDs: [UInt32], fields: [Field])
        /// A list or structure into a text column: its PostgreSQL literal (`{1,NULL}`, `(1,"a b")`), which the
        /// server casts when the column has another type.
        case nestedText(ColumnType)
    }

    let fields: [Field]
    let names: [String]
    let table: String
    /// The stream being built; the writer drains it with `PQputCopyData`.
    var buffer: [UInt8] = []
    private var scratch: [Int16] = []
    private static let hex = Array("0123456789abcdef".utf8)

    init(source: [Column], target: [CopyTargetColumn], table: String) throws(FerryError) {
        var fields: [Field] = []
        for (column, into) in zip(source, target) {
            guard let field = Self.field(from: column.type, into: into.typeOID, type: into.type, form: into.form) else {
                throw FerryError(
                    .schema,
                    "cannot write column \(column.name) (\(column.type) in the source) into a \(into.typeName) "
                        + "column; change the target column's type or recreate the table with staging_swap",
                    table: table)
            }
            fields.append(field)
        }
        self.fields = fields
        self.names = source.map(\.name)
        self.table = table
        buffer.reserveCapacity(Self.chunkSize + 64 * 1024)
        scratch.reserveCapacity(16)
    }

    /// Size at which the writer hands the buffer to libpq.
    static let chunkSize = 1 << 20

    /// The encoding of `type` into a column of type `oid` whose Ferry type and form are `target` and `form`: arrays
    /// and composites element by element (each into the target's element or field type), a nested value into a
    /// text column as its literal.
    static func field(from type: ColumnType, into oid: UInt32?, type target: ColumnType?, form: PGValueForm) -> Field? {
        switch (type, target, form) {
        case (.list(let element), .list(let targetElement)?, .array(let elementForm, let elementOID)):
            guard
                let encoded = field(
                    from: element, into: nativeOID(targetElement), type: targetElement, form: elementForm)
            else { return nil }
            return .array(elementOID: elementOID, element: encoded)
        case (.structure(let fields), .structure(let targetFields)?, .composite(let forms, let oids)):
            guard fields.count == targetFields.count, forms.count == fields.count else { return nil }
            var encoded: [Field] = []
            for i in fields.indices {
                guard
                    let f = field(
                        from: fields[i].type, into: nativeOID(targetFields[i].type), type: targetFields[i].type,
                        form: forms[i])
                else { return nil }
                encoded.append(f)
            }
            return .record(fieldOIDs: oids, fields: encoded)
        case (.list, _, _), (.structure, _, _):
            let T = PostgresTypes.self
            return oid.map { [T.text, T.varchar, T.bpchar, T.name].contains($0) } == true ? .nestedText(type) : nil
        default:
            return oid.flatMap { field(from: type, into: $0) }
        }
    }

    /// The built-in OID whose binary form Ferry writes for a natively mapped `type`.
    static func nativeOID(_ type: ColumnType) -> UInt32? {
        let T = PostgresTypes.self
        switch type {
        case .boolean: return T.bool
        case .int16: return T.int2
        case .int32: return T.int4
        case .int64: return T.int8
        case .float32: return T.float4
        case .float64: return T.float8
        case .decimal, .numeric: return T.numeric
        case .text: return T.text
        case .bytes: return T.bytea
        case .uuid: return T.uuid
        case .json: return T.json
        case .jsonb: return T.jsonb
        case .date: return T.date
        case .time: return T.time
        case .timestamp: return T.timestamp
        case .timestampTZ: return T.timestamptz
        case .list, .structure: return nil
        }
    }

    static func field(from type: ColumnType, into oid: UInt32) -> Field? {
        let T = PostgresTypes.self
        switch oid {
        case T.bool: return type == .boolean ? .bool : nil
        case T.int2, T.int4, T.int8:
            guard type == .int16 || type == .int32 || type == .int64 else { return nil }
            return oid == T.int2 ? .int2 : oid == T.int4 ? .int4 : .int8
        case T.float4: return type == .float32 ? .float4 : nil
        case T.float8:
            if type == .float32 || type == .float64 { return .float8FromDouble }
            return type == .int16 || type == .int32 ? .float8FromInt : nil
        case T.numeric:
            switch type {
            case .decimal(_, let s): return .numericFromDecimal(scale: s)
            case .int16, .int32, .int64: return .numericFromInt
            case .numeric, .text: return .numericFromText
            default: return nil
            }
        case T.text, T.varchar, T.bpchar, T.name:
            if type == .uuid { return .uuidAsText }
            return type.storage == .bytes && type != .bytes ? .raw : nil
        case T.bytea: return type == .bytes ? .raw : nil
        case T.json: return type == .json || type == .jsonb || type == .text ? .raw : nil
        case T.jsonb: return type == .json || type == .jsonb || type == .text ? .jsonb : nil
        case T.uuid: return type == .uuid ? .uuid : type == .text ? .uuidFromText : nil
        case T.date: return type == .date ? .date : nil
        case T.time: return type == .time ? .time : nil
        case T.timestamp: return type == .timestamp ? .timestamp : nil
        case T.timestamptz: return type == .timestampTZ ? .timestamp : nil
        default: return nil
        }
    }

    /// The 19-byte header: signature, flags 0, no extension area.
    mutating func appendHeader() {
        buffer.append(contentsOf: BinaryCopyDecoder.signature)
        buffer.appendBE(UInt32(0))
        buffer.appendBE(UInt32(0))
    }

    /// The trailer: a field count of −1.
    mutating func appendTrailer() {
        buffer.appendBE(Int16(-1))
    }

    /// Appends the rows of `batch`, calling `flush` whenever the buffer passes `chunkSize`.
    mutating func append(
        _ batch: RecordBatch, flush: (inout [UInt8]) throws(FerryError) -> Void
    ) throws(FerryError) {
        guard batch.vectors.count == fields.count else {
            throw FerryError(
                .integrity, "a batch has \(batch.vectors.count) columns but the write expects \(fields.count)",
                table: table)
        }
        let columns = batch.vectors.map(\.values)
        let fieldCount = Int16(fields.count)
        for row in 0..<batch.rowCount {
            buffer.appendBE(fieldCount)
            for i in 0..<fields.count {
                if batch.vectors[i].isNull(row) {
                    buffer.appendBE(Int32(-1))
                } else if fields[i].isNested {
                    try Self.encodeNested(
                        fields[i], batch.vectors[i], row: row, name: names[i], table: table, into: &buffer,
                        scratch: &scratch)
                } else {
                    try Self.encode(
                        fields[i], columns[i], row: row, name: names[i], table: table, into: &buffer,
                        scratch: &scratch)
                }
            }
            if buffer.count >= Self.chunkSize { try flush(&buffer) }
        }
    }

    /// A list, a structure or a nested value's text, recursing into elements and fields.
    private static func encodeNested(
        _ field: Field, _ vector: ColumnVector, row: Int, name: String, table: String, into out: inout [UInt8],
        scratch: inout [Int16]
    ) throws(FerryError) {
        switch field {
        case .array(let elementOID, let element):
            let range = vector.listRange(at: row)
            let elements = vector.listElements
            let start = reserveLength(&out)
            out.appendBE(Int32(range.isEmpty ? 0 : 1))
            out.appendBE(Int32(range.contains { elements.isNull($0) } ? 1 : 0))
            out.appendBE(elementOID)
            if !range.isEmpty {
                out.appendBE(Int32(range.count))
                out.appendBE(Int32(1))
            }
            for j in range {
                try encodeSlot(element, elements, row: j, name: name, table: table, into: &out, scratch: &scratch)
            }
            patchLength(&out, at: start)
        case .record(let oids, let fields):
            let children = vector.structureFields
            let start = reserveLength(&out)
            out.appendBE(Int32(fields.count))
            for i in fields.indices {
                out.appendBE(oids[i])
                try encodeSlot(
                    fields[i], children[i], row: row, name: name, table: table, into: &out, scratch: &scratch)
            }
            patchLength(&out, at: start)
        case .nestedText(let type):
            let text = ScalarValue(vector: vector, row: row, type: type)?.description ?? ""
            out.appendBE(Int32(text.utf8.count))
            out.append(contentsOf: text.utf8)
        default:
            try encode(field, vector.values, row: row, name: name, table: table, into: &out, scratch: &scratch)
        }
    }

    /// One element or field: its length and bytes, or −1 for NULL.
    private static func encodeSlot(
        _ field: Field, _ vector: ColumnVector, row: Int, name: String, table: String, into out: inout [UInt8],
        scratch: inout [Int16]
    ) throws(FerryError) {
        if vector.isNull(row) {
            out.appendBE(Int32(-1))
        } else {
            try encodeNested(field, vector, row: row, name: name, table: table, into: &out, scratch: &scratch)
        }
    }

    private static func encode(
        _ field: Field, _ values: ColumnVector.Values, row: Int, name: String, table: String,
        into out: inout [UInt8], scratch: inout [Int16]
    ) throws(FerryError) {
        func outOfRange(_ what: String) -> FerryError {
            FerryError(
                .data, "column \(name): \(what) does not fit the target column; widen the target column",
                table: table)
        }
        switch (field, values) {
        case (.bool, .boolean(let a)):
            out.appendBE(Int32(1))
            out.append(a[row] ? 1 : 0)
        case (.int2, .int64(let a)):
            guard let v = Int16(exactly: a[row]) else { throw outOfRange("value \(a[row])") }
            out.appendBE(Int32(2))
            out.appendBE(v)
        case (.int4, .int64(let a)):
            guard let v = Int32(exactly: a[row]) else { throw outOfRange("value \(a[row])") }
            out.appendBE(Int32(4))
            out.appendBE(v)
        case (.int8, .int64(let a)):
            out.appendBE(Int32(8))
            out.appendBE(a[row])
        case (.float4, .float64(let a)):
            out.appendBE(Int32(4))
            out.appendBE(Float(a[row]).bitPattern)
        case (.float8FromDouble, .float64(let a)):
            out.appendBE(Int32(8))
            out.appendBE(a[row].bitPattern)
        case (.float8FromInt, .int64(let a)):
            out.appendBE(Int32(8))
            out.appendBE(Double(a[row]).bitPattern)
        case (.numericFromDecimal(let scale), .decimal(let a)):
            let start = reserveLength(&out)
            NumericBinary.append(unscaled: a[row], scale: scale, to: &out, scratch: &scratch)
            patchLength(&out, at: start)
        case (.numericFromInt, .int64(let a)):
            let start = reserveLength(&out)
            NumericBinary.append(unscaled: Int128(a[row]), scale: 0, to: &out, scratch: &scratch)
            patchLength(&out, at: start)
        case (.numericFromText, .bytes(let a)):
            let start = reserveLength(&out)
            guard NumericBinary.append(text: a[row], to: &out, scratch: &scratch) else {
                throw FerryError(
                    .data, "column \(name): '\(a.string(at: row))' is not a number the target can store",
                    table: table)
            }
            patchLength(&out, at: start)
        case (.raw, .bytes(let a)):
            let value = a[row]
            out.appendBE(Int32(value.count))
            out.append(contentsOf: value)
        case (.jsonb, .bytes(let a)):
            let value = a[row]
            out.appendBE(Int32(value.count + 1))
            out.append(1)
            out.append(contentsOf: value)
        case (.uuid, .bytes(let a)):
            let value = a[row]
            guard value.count == 16 else { throw outOfRange("a \(value.count)-byte uuid") }
            out.appendBE(Int32(16))
            out.append(contentsOf: value)
        case (.uuidFromText, .bytes(let a)):
            guard let value = UUIDText.parse(String(decoding: a[row], as: UTF8.self)) else {
                throw FerryError(
                    .data, "column \(name): '\(a.string(at: row))' is not a uuid the target can store", table: table)
            }
            out.appendBE(Int32(16))
            out.append(contentsOf: value)
        case (.uuidAsText, .bytes(let a)):
            let value = a[row]
            guard value.count == 16 else { throw outOfRange("a \(value.count)-byte uuid") }
            out.appendBE(Int32(36))
            for (k, b) in value.enumerated() {
                if k == 4 || k == 6 || k == 8 || k == 10 { out.append(UInt8(ascii: "-")) }
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        case (.date, .int64(let a)):
            guard let days = Int32(exactly: a[row] - SendForm.unixEpochDaysOffset) else {
                throw outOfRange("date \(a[row])")
            }
            out.appendBE(Int32(4))
            out.appendBE(days)
        case (.time, .int64(let a)):
            out.appendBE(Int32(8))
            out.appendBE(a[row])
        case (.timestamp, .int64(let a)):
            let (micros, overflow) = a[row].subtractingReportingOverflow(SendForm.unixEpochMicrosOffset)
            guard !overflow else { throw outOfRange("timestamp \(a[row])") }
            out.appendBE(Int32(8))
            out.appendBE(micros)
        default:
            throw FerryError(
                .integrity, "column \(name): the batch's values do not match the column's declared type",
                table: table)
        }
    }

    @inline(__always)
    private static func reserveLength(_ out: inout [UInt8]) -> Int {
        let start = out.count
        out.appendBE(Int32(0))
        return start
    }

    @inline(__always)
    private static func patchLength(_ out: inout [UInt8], at start: Int) {
        let length = UInt32(out.count - start - 4)
        out[start] = UInt8(truncatingIfNeeded: length >> 24)
        out[start + 1] = UInt8(truncatingIfNeeded: length >> 16)
        out[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
        out[start + 3] = UInt8(truncatingIfNeeded: length)
    }
}

extension BinaryCopyEncoder.Field {
    /// Encoded from the whole vector (its children), not from its flat values.
    var isNested: Bool {
        switch self {
        case .array, .record, .nestedText: true
        default: false
        }
    }
}
