import FerryCore

/// Decodes `COPY … TO STDOUT (FORMAT binary)` messages straight into a `RecordBatch`.
///
/// Fields are read in place from libpq's buffer; variable-length values are copied once, into the column's
/// `BinaryArray`. Nothing else is allocated per row (unconstrained numerics are rendered through a reused scratch
/// buffer).
struct BinaryCopyDecoder {
    /// How one field is turned into a column value.
    enum Field {
        case bool, int2, int4, int8, float4, float8
        /// numeric(p,s) with p ≤ 38: an unscaled `Int128` at `scale`.
        case decimal(precision: Int, scale: Int)
        /// Unconstrained numeric: its canonical text.
        case numericText
        /// Text, varchar, char, name, bytea, json, and every type read as `col::text`: the bytes as they are.
        case raw
        /// jsonb: a version byte (1), then the text.
        case jsonb
        case uuid
        /// Days since 2000-01-01 -> days since 1970-01-01 (`SendForm.date`).
        case date
        case time
        /// µs since 2000-01-01 -> µs since 1970-01-01, timestamp and timestamptz (`SendForm.timestamp`).
        case timestamp
        /// `interval_send` -> the text `interval_out` prints (`IntervalText`).
        case interval
        /// `inet_send` -> the text `inet_out`/`cidr_out` prints (`InetText`).
        case inet
        /// `array_send` of one dimension -> a list row whose elements are read as `element`.
        indirect case array(element: Field)
        /// `record_send` -> a structure row whose fields are read as `fields`.
        case record(fields: [Field])

        init(_ column: PGColumnInfo) {
            self.init(type: column.type, form: column.form)
        }

        init(type: ColumnType, form: PGValueForm) {
            switch (type, form) {
            case (_, .text), (_, .enumLabel):
                self = .raw
                return
            case (_, .interval):
                self = .interval
                return
            case (_, .inet):
                self = .inet
                return
            case (.list(let element), .array(let elementForm, _)):
                self = .array(element: Field(type: element, form: elementForm))
                return
            case (.structure(let fields), .composite(let forms, _)):
                self = .record(fields: zip(fields, forms).map { Field(type: $0.type, form: $1) })
                return
            default:
                break
            }
            switch type {
            case .boolean: self = .bool
            case .int16: self = .int2
            case .int32: self = .int4
            case .int64: self = .int8
            case .float32: self = .float4
            case .float64: self = .float8
            case .decimal(let p, let s): self = .decimal(precision: p, scale: s)
            case .numeric: self = .numericText
            case .text, .bytes, .json: self = .raw
            case .jsonb: self = .jsonb
            case .uuid: self = .uuid
            case .date: self = .date
            case .time: self = .time
            case .timestamp, .timestampTZ: self = .timestamp
            // A nested type always comes with its container form (matched above).
            case .list, .structure: self = .raw
            }
        }
    }

    static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    let fields: [Field]
    let names: [String]
    let table: String
    private var sawHeader = false
    /// Set once the trailer (field count −1) has been seen.
    private(set) var finished = false
    /// Rows decoded so far, for error messages.
    private(set) var rowsDecoded: Int64 = 0
    private var scratch: [UInt8] = []

    init(columns: [PGColumnInfo], table: String) {
        fields = columns.map(Field.init)
        names = columns.map(\.name)
        self.table = table
        scratch.reserveCapacity(64)
    }

    /// Decodes one CopyData message (one row; the first also carries the header) into `batch`.
    /// Returns `true` when a row was appended, `false` for the trailer.
    mutating func decode(_ message: UnsafeRawBufferPointer, into batch: inout RecordBatch) throws(FerryError) -> Bool {
        var pos = 0
        if !sawHeader {
            guard message.count >= 19, message.prefix(11).elementsEqual(Self.signature) else {
                throw malformed("the stream does not start with the binary COPY signature")
            }
            let extensionLength = Int(message.be32(15))
            pos = 19 + extensionLength
            guard extensionLength >= 0, pos <= message.count else { throw malformed("truncated header") }
            sawHeader = true
        }
        guard pos + 2 <= message.count else { throw malformed("truncated row") }
        let count = Int(Int16(bitPattern: message.be16(pos)))
        pos += 2
        if count == -1 {
            finished = true
            return false
        }
        guard count == fields.count else {
            throw malformed("a row has \(count) fields, expected \(fields.count)")
        }
        let row = rowsDecoded + 1
        for i in 0..<count {
            guard pos + 4 <= message.count else { throw malformed("truncated row \(row)") }
            let length = Int(Int32(bitPattern: message.be32(pos)))
            pos += 4
            if length < 0 {
                batch.vectors[i].appendNull()
                continue
            }
            guard pos + length <= message.count else { throw malformed("truncated field in row \(row)") }
            let field = UnsafeRawBufferPointer(rebasing: message[pos..<(pos + length)])
            do throws(ValueFailure) {
                try Self.decodeField(fields[i], field, into: &batch.vectors[i], scratch: &scratch)
            } catch {
                throw error.error(column: names[i], at: "row \(row)", table: table)
            }
            pos += length
        }
        rowsDecoded = row
        return true
    }

    /// One field into its column, through the send-form readers binary values share (`SendForm`).
    @inline(__always)
    static func decodeField(
        _ kind: Field, _ f: UnsafeRawBufferPointer, into vector: inout ColumnVector, scratch: inout [UInt8]
    ) throws(ValueFailure) {
        switch kind {
        case .bool: vector.append(try SendForm.bool(f))
        case .int2: vector.append(try SendForm.int16(f))
        case .int4: vector.append(try SendForm.int32(f))
        case .int8: vector.append(try SendForm.int64(f))
        case .float4: vector.append(try SendForm.float32(f))
        case .float8: vector.append(try SendForm.float64(f))
        case .decimal(let precision, let scale):
            vector.append(decimal: try SendForm.decimal(f, precision: precision, scale: scale))
        case .numericText:
            scratch.removeAll(keepingCapacity: true)
            try SendForm.appendNumericText(f, to: &scratch)
            scratch.withUnsafeBytes { vector.append(bytes: $0) }
        case .raw: vector.append(bytes: f)
        case .jsonb: vector.append(bytes: try SendForm.jsonb(f))
        case .uuid: vector.append(bytes: try SendForm.uuid(f))
        case .date: vector.append(try SendForm.date(f))
        case .time: vector.append(try SendForm.time(f))
        case .timestamp: vector.append(try SendForm.timestamp(f))
        case .interval: vector.append(string: try IntervalText.format(f))
        case .inet: vector.append(string: try InetText.format(f))
        case .array(let element):
            try vector.appendList { (elements: inout ColumnVector) throws(ValueFailure) in
                try ContainerSendForm.forEachElement(f) { (e: UnsafeRawBufferPointer?) throws(ValueFailure) in
                    guard let e else { return elements.appendNull() }
                    try decodeField(element, e, into: &elements, scratch: &scratch)
                }
            }
        case .record(let fields):
            try vector.appendStructure { (children: inout [ColumnVector]) throws(ValueFailure) in
                try ContainerSendForm.forEachField(f, expected: fields.count) {
                    (i: Int, e: UnsafeRawBufferPointer?) throws(ValueFailure) in
                    guard let e else { return children[i].appendNull() }
                    try decodeField(fields[i], e, into: &children[i], scratch: &scratch)
                }
            }
        }
    }

    private func malformed(_ what: String) -> FerryError {
        FerryError(.data, "malformed binary COPY data from the server: \(what)", table: table)
    }
}
