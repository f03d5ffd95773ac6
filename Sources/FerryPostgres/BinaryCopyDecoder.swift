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
        /// Days since 2000-01-01 -> days since 1970-01-01.
        case date
        case time
        /// µs since 2000-01-01 -> µs since 1970-01-01 (timestamp and timestamptz).
        case timestamp

        init(_ column: PGColumnInfo) {
            if column.viaText {
                self = .raw
                return
            }
            switch column.type {
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
            }
        }
    }

    static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
    static let unixEpochDaysOffset: Int64 = 10_957
    static let unixEpochMicrosOffset: Int64 = 946_684_800_000_000

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
            try Self.decodeField(
                fields[i], field, name: names[i], table: table, row: row, into: &batch.vectors[i],
                scratch: &scratch)
            pos += length
        }
        rowsDecoded = row
        return true
    }

    private static func decodeField(
        _ kind: Field, _ f: UnsafeRawBufferPointer, name: String, table: String, row: Int64,
        into vector: inout ColumnVector, scratch: inout [UInt8]
    ) throws(FerryError) {
        func badLength() -> FerryError {
            FerryError(
                .data, "column \(name): unexpected \(f.count)-byte value in row \(row) (malformed binary COPY data)",
                table: table)
        }
        func infinity() -> FerryError {
            FerryError(
                .data,
                "column \(name): cannot represent infinity (row \(row)); replace infinite values in the source "
                    + "or exclude those rows",
                table: table)
        }
        func numericError(_ failure: NumericFailure, type: String) -> FerryError {
            let what =
                switch failure {
                case .nan: "NaN cannot be represented as \(type)"
                case .infinity: "an infinite value cannot be represented as \(type)"
                case .doesNotFit: "a value does not fit \(type) exactly"
                case .malformed: "malformed numeric value"
                }
            return FerryError(
                .data, "column \(name): \(what) (row \(row)); fix those values in the source or exclude those rows",
                table: table)
        }
        switch kind {
        case .bool:
            guard f.count == 1 else { throw badLength() }
            vector.append(f[0] != 0)
        case .int2:
            guard f.count == 2 else { throw badLength() }
            vector.append(Int64(Int16(bitPattern: f.be16(0))))
        case .int4:
            guard f.count == 4 else { throw badLength() }
            vector.append(Int64(Int32(bitPattern: f.be32(0))))
        case .int8:
            guard f.count == 8 else { throw badLength() }
            vector.append(Int64(bitPattern: f.be64(0)))
        case .float4:
            guard f.count == 4 else { throw badLength() }
            vector.append(Double(Float(bitPattern: f.be32(0))))
        case .float8:
            guard f.count == 8 else { throw badLength() }
            vector.append(Double(bitPattern: f.be64(0)))
        case .decimal(let precision, let scale):
            do throws(NumericFailure) {
                vector.append(decimal: try NumericBinary.unscaled(f, scale: scale))
            } catch {
                throw numericError(error, type: "numeric(\(precision),\(scale))")
            }
        case .numericText:
            scratch.removeAll(keepingCapacity: true)
            do throws(NumericFailure) {
                try NumericBinary.appendText(f, to: &scratch)
            } catch {
                throw numericError(error, type: "numeric")
            }
            scratch.withUnsafeBytes { vector.append(bytes: $0) }
        case .raw:
            vector.append(bytes: f)
        case .jsonb:
            guard f.count >= 1, f[0] == 1 else {
                throw FerryError(
                    .data, "column \(name): unsupported jsonb binary version in row \(row)", table: table)
            }
            vector.append(bytes: UnsafeRawBufferPointer(rebasing: f[1...]))
        case .uuid:
            guard f.count == 16 else { throw badLength() }
            vector.append(bytes: f)
        case .date:
            guard f.count == 4 else { throw badLength() }
            let days = Int32(bitPattern: f.be32(0))
            guard days != Int32.max, days != Int32.min else { throw infinity() }
            vector.append(Int64(days) + Self.unixEpochDaysOffset)
        case .time:
            guard f.count == 8 else { throw badLength() }
            vector.append(Int64(bitPattern: f.be64(0)))
        case .timestamp:
            guard f.count == 8 else { throw badLength() }
            let micros = Int64(bitPattern: f.be64(0))
            guard micros != Int64.max, micros != Int64.min else { throw infinity() }
            let (unix, overflow) = micros.addingReportingOverflow(Self.unixEpochMicrosOffset)
            guard !overflow else {
                throw FerryError(.data, "column \(name): timestamp out of range in row \(row)", table: table)
            }
            vector.append(unix)
        }
    }

    private func malformed(_ what: String) -> FerryError {
        FerryError(.data, "malformed binary COPY data from the server: \(what)", table: table)
    }
}
