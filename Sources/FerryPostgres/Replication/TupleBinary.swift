import FerryCore

/// Turns a value in its type's binary send form (what pgoutput sends with the `binary` option) into the
/// `ScalarValue` the snapshot reader produces for it: the same forms as binary COPY, read by the same `SendForm`.
///
/// Binary values cost the server no output function (`timestamptz_out` and `numeric_out` dominate a text stream's
/// cost there) and cost Ferry no parsing. Only types Ferry reads natively arrive this way: a stream is opened in
/// binary form only when every column of its tables has one (`PostgresChangeSource.openStream`).
enum TupleBinary {
    static func value(_ f: UnsafeRawBufferPointer, type: ColumnType) throws(ValueFailure) -> ScalarValue {
        try value(f, type: type, form: .native)
    }

    /// The value of a column of `type` whose values travel as `form`: arrays and composites element by element,
    /// intervals and addresses rendered as PostgreSQL prints them, enums as their label.
    static func value(
        _ f: UnsafeRawBufferPointer, type: ColumnType, form: PGValueForm
    ) throws(ValueFailure)
        -> ScalarValue
    {
        switch (type, form) {
        case (_, .interval): return .text(try IntervalText.format(f))
        case (_, .inet): return .text(try InetText.format(f))
        case (_, .enumLabel), (_, .text): return .text(String(decoding: f, as: UTF8.self))
        case (.list(let element), .array(let elementForm, _)):
            var values: [ScalarValue?] = []
            try ContainerSendForm.forEachElement(f) { (e: UnsafeRawBufferPointer?) throws(ValueFailure) in
                values.append(try e.map { (e) throws(ValueFailure) in try value(e, type: element, form: elementForm) })
            }
            return .list(values)
        case (.structure(let fields), .composite(let forms, _)):
            var values: [ScalarValue?] = []
            try ContainerSendForm.forEachField(f, expected: fields.count) {
                (i: Int, e: UnsafeRawBufferPointer?) throws(ValueFailure) in
                values.append(
                    try e.map { (e) throws(ValueFailure) in try value(e, type: fields[i].type, form: forms[i]) })
            }
            return .structure(values)
        default:
            break
        }
        switch type {
        case .boolean: return .int(try SendForm.bool(f) ? 1 : 0)
        case .int16: return .int(try SendForm.int16(f))
        case .int32: return .int(try SendForm.int32(f))
        case .int64: return .int(try SendForm.int64(f))
        case .float32: return .double(try SendForm.float32(f))
        case .float64: return .double(try SendForm.float64(f))
        case .decimal(let precision, let scale):
            return .decimal(try SendForm.decimal(f, precision: precision, scale: scale), scale: scale)
        case .numeric:
            var text: [UInt8] = []
            try SendForm.appendNumericText(f, to: &text)
            return .text(String(decoding: text, as: UTF8.self))
        case .text, .json: return .text(String(decoding: f, as: UTF8.self))
        case .jsonb: return .text(String(decoding: try SendForm.jsonb(f), as: UTF8.self))
        case .bytes: return .bytes(Array(f))
        case .uuid: return .text(UUIDText.format(Array(try SendForm.uuid(f))))
        case .date: return .date(try SendForm.date(f))
        case .time: return .int(try SendForm.time(f))
        case .timestamp, .timestampTZ: return .timestamp(try SendForm.timestamp(f), zoned: type == .timestampTZ)
        case .list, .structure: throw .malformed(expected: "a \(type) in its container's send form")
        }
    }
}
