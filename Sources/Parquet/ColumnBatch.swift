/// The values of one column for a run of rows, held in one contiguous array per column.
///
/// Contiguous arrays let the writer PLAIN-encode with a single copy and the reader decode without per-value
/// allocation. NULL rows still occupy a slot (holding any placeholder value), so index `i` is always row `i`.
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
