/// How a PostgreSQL column's values travel and become their Ferry type: the part of a type the `ColumnType` does
/// not say (an `interval` and a `text` are both `.text` to Ferry, but read differently).
///
/// Resolved once from the catalog (`PostgresTypeResolver`); the snapshot decoder, the change stream and the COPY
/// encoder all follow it, so a value is read the same way in every path.
indirect enum PGValueForm: Sendable, Hashable {
    /// The send form of the `ColumnType` itself (`SendForm`).
    case native
    /// `interval`: read in binary (`interval_send`), kept as the text PostgreSQL prints (`IntervalText`).
    case interval
    /// `inet` and `cidr`: read in binary (`inet_send`), kept as the text PostgreSQL prints (`InetText`).
    case inet
    /// An enum: its send form is its label, the same bytes as its text form.
    case enumLabel
    /// A one-dimensional array (`array_send`) of `element`s; `elementOID` is the array's element type (a domain's
    /// own OID when the elements are a domain), which `array_recv` insists on.
    case array(element: PGValueForm, elementOID: UInt32)
    /// A composite (`record_send`): one form per field, and each field's type OID, which `record_recv` checks.
    case composite(fields: [PGValueForm], fieldOIDs: [UInt32])
    /// No binary reader: the snapshot selects `format('%s', col)`, the stream must send text.
    case text

    /// Whether Ferry reads the binary send form (binary COPY, a `binary` change stream).
    var binaryReadable: Bool {
        switch self {
        case .native, .interval, .inet, .enumLabel: true
        case .array(let element, _): element.binaryReadable
        case .composite(let fields, _): fields.allSatisfy(\.binaryReadable)
        case .text: false
        }
    }

    /// Whether Ferry writes the binary form itself (`BinaryCopyEncoder`); otherwise a write goes through text and a
    /// cast on the server.
    var binaryWritable: Bool {
        switch self {
        case .native: true
        case .array(let element, _): element.binaryWritable
        case .composite(let fields, _): fields.allSatisfy(\.binaryWritable)
        case .interval, .inet, .enumLabel, .text: false
        }
    }
}
