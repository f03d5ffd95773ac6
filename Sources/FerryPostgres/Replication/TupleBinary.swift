import FerryCore

/// Turns a value in its type's binary send form (what pgoutput sends with the `binary` option) into the
/// `ScalarValue` the snapshot reader produces for it: the same forms as binary COPY, so the same reading.
///
/// Binary values cost the server no output function (`timestamptz_out` and `numeric_out` dominate a text stream's
/// cost there) and cost Ferry no parsing. Only types Ferry reads natively arrive this way: a stream is opened in
/// binary form only when every column of its tables has one (`PostgresChangeSource.openStream`).
enum TupleBinary {
    static func value(_ f: UnsafeRawBufferPointer, type: ColumnType) throws(TupleText.Failure) -> ScalarValue {
        switch type {
        case .boolean:
            try length(f, 1, "a boolean")
            return .int(f[0] != 0 ? 1 : 0)
        case .int16:
            try length(f, 2, "a smallint")
            return .int(Int64(Int16(bitPattern: f.be16(0))))
        case .int32:
            try length(f, 4, "an integer")
            return .int(Int64(Int32(bitPattern: f.be32(0))))
        case .int64:
            try length(f, 8, "a bigint")
            return .int(Int64(bitPattern: f.be64(0)))
        case .float32:
            try length(f, 4, "a real")
            return .double(Double(Float(bitPattern: f.be32(0))))
        case .float64:
            try length(f, 8, "a double precision")
            return .double(Double(bitPattern: f.be64(0)))
        case .decimal(let precision, let scale):
            do throws(NumericFailure) {
                return .decimal(try NumericBinary.unscaled(f, scale: scale), scale: scale)
            } catch {
                throw .numeric(error, type: "numeric(\(precision),\(scale))")
            }
        case .numeric:
            var text: [UInt8] = []
            do throws(NumericFailure) {
                try NumericBinary.appendText(f, to: &text)
            } catch {
                throw .numeric(error, type: "numeric")
            }
            return .text(String(decoding: text, as: UTF8.self))
        case .text, .json:
            return .text(String(decoding: f, as: UTF8.self))
        case .jsonb:
            guard f.count >= 1, f[0] == 1 else { throw .malformed(expected: "jsonb of binary version 1") }
            return .text(String(decoding: UnsafeRawBufferPointer(rebasing: f[1...]), as: UTF8.self))
        case .bytes:
            return .bytes(Array(f))
        case .uuid:
            try length(f, 16, "a uuid")
            return .text(UUIDText.format(Array(f)))
        case .date:
            try length(f, 4, "a date")
            let days = Int32(bitPattern: f.be32(0))
            guard days != .max, days != .min else { throw .infinity }
            return .date(Int64(days) + BinaryCopyDecoder.unixEpochDaysOffset)
        case .time:
            try length(f, 8, "a time")
            return .int(Int64(bitPattern: f.be64(0)))
        case .timestamp, .timestampTZ:
            try length(f, 8, "a timestamp")
            let micros = Int64(bitPattern: f.be64(0))
            guard micros != .max, micros != .min else { throw .infinity }
            let (unix, overflow) = micros.addingReportingOverflow(BinaryCopyDecoder.unixEpochMicrosOffset)
            guard !overflow else { throw .malformed(expected: "a timestamp within the representable range") }
            return .timestamp(unix, zoned: type == .timestampTZ)
        }
    }

    private static func length(_ f: UnsafeRawBufferPointer, _ n: Int, _ what: String) throws(TupleText.Failure) {
        guard f.count == n else { throw .malformed(expected: "\(what) (\(f.count) bytes in binary form)") }
    }
}
