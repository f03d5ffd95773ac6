/// The values of one column for a run of rows, held in one contiguous array per column.
///
/// Contiguous arrays let the writer PLAIN-encode with a single copy and the reader decode without per-value
/// allocation. NULL rows still occupy a slot (holding any placeholder value), so index `i` is always row `i`.
///
/// Nested columns (a ``SchemaNode/list(name:nullable:element:)`` or ``SchemaNode/group(name:nullable:children:)``
/// node) nest batches the Arrow way, so a batch of lists is three arrays, not one object per row: `.list` holds
/// the offsets of each row's elements in one child batch of all elements (with its own validity: NULL elements),
/// `.structure` one child batch per field, each with a slot per row (a NULL struct row holds placeholder slots).
public enum ColumnValues: Hashable, Sendable {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    /// Value `i` is `data[offsets[i] ..< offsets[i + 1]]`; `offsets.count == rows + 1`.
    case byteArray(offsets: [Int], data: [UInt8])
    /// Value `i` is `data[i * width ..< (i + 1) * width]`.
    case fixedLen(width: Int, data: [UInt8])
    /// Row `i` holds elements `offsets[i] ..< offsets[i + 1]` of `elements`; `offsets.count == rows + 1`. A NULL
    /// row and an empty one both have equal offsets; the row's validity tells them apart.
    indirect case list(offsets: [Int], elements: ColumnBatch)
    /// One batch per field of the group, in schema order, each with one slot per row.
    case structure([ColumnBatch])

    /// The number of rows (including NULL slots).
    public var count: Int {
        switch self {
        case .boolean(let values): values.count
        case .int32(let values): values.count
        case .int64(let values): values.count
        case .float(let values): values.count
        case .double(let values): values.count
        case .byteArray(let offsets, _): max(offsets.count - 1, 0)
        case .fixedLen(let width, let data): width > 0 ? data.count / width : 0
        case .list(let offsets, _): max(offsets.count - 1, 0)
        case .structure(let fields): fields.first?.count ?? 0
        }
    }
}

/// One column of a batch of rows: the values plus which rows are NULL.
public struct ColumnBatch: Hashable, Sendable {
    public var values: ColumnValues
    /// `validity[i] == false` marks row `i` as NULL; `nil` means no row is NULL.
    public var validity: [Bool]?

    public init(values: ColumnValues, validity: [Bool]? = nil) {
        self.values = values
        self.validity = validity
    }

    /// The number of rows.
    public var count: Int { values.count }

    /// Whether row `index` is NULL.
    public func isNull(_ index: Int) -> Bool {
        guard let validity else { return false }
        return !validity[index]
    }
}
