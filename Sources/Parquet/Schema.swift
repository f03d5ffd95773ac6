/// How values are laid out on disk: the Parquet physical type.
///
/// INT96 (a legacy timestamp encoding) is deliberately absent: no current writer needs it.
public enum PhysicalType: Hashable, Sendable {
    case boolean
    case int32
    case int64
    case float
    case double
    case byteArray
    /// Every value is exactly this many bytes (UUIDs, wide decimals).
    case fixedLenByteArray(Int)
}

/// The resolution of a timestamp or time of day.
public enum TimeUnit: Hashable, Sendable {
    case milliseconds
    case microseconds
    case nanoseconds
}

/// What the physical values mean: the Parquet logical type annotation.
///
/// Readers use it to show an INT64 as a timestamp, a BYTE_ARRAY as text, and so on. The writer also emits the
/// matching legacy `converted_type`, so old readers understand the file too.
public enum LogicalType: Hashable, Sendable {
    case none
    /// UTF-8 text on BYTE_ARRAY.
    case string
    /// Days since 1970-01-01 on INT32.
    case date
    /// Time since the epoch on INT64. `utcAdjusted: false` is a local (wall clock) timestamp.
    case timestamp(utcAdjusted: Bool, unit: TimeUnit = .microseconds)
    /// Time of day: milliseconds on INT32, micro- or nanoseconds on INT64.
    case time(utcAdjusted: Bool, unit: TimeUnit)
    /// An unscaled integer: INT32 (precision ≤ 9), INT64 (≤ 18), or big-endian two's complement
    /// FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY.
    case decimal(precision: Int, scale: Int)
    /// A narrower or unsigned integer stored in INT32 (8, 16, 32 bits) or INT64 (64 bits).
    case integer(bitWidth: Int, signed: Bool)
    /// UTF-8 JSON text on BYTE_ARRAY.
    case json
    /// 16 raw bytes, big-endian, on FIXED_LEN_BYTE_ARRAY(16).
    case uuid
    /// UTF-8 enum label on BYTE_ARRAY.
    case enumeration
}

/// One flat (top-level, non-nested) column.
public struct ParquetField: Hashable, Sendable {
    public var name: String
    public var physicalType: PhysicalType
    public var logicalType: LogicalType
    /// `true` writes the column as OPTIONAL (with definition levels), `false` as REQUIRED.
    public var nullable: Bool
    /// The Parquet `field_id`, which Delta Lake column mapping in `id` mode matches columns by.
    public var fieldId: Int32?

    public init(
        name: String, physicalType: PhysicalType, logicalType: LogicalType = .none, nullable: Bool = true,
        fieldId: Int32? = nil
    ) {
        self.name = name
        self.physicalType = physicalType
        self.logicalType = logicalType
        self.nullable = nullable
        self.fieldId = fieldId
    }
}

/// The columns of a file, in order.
public struct ParquetSchema: Hashable, Sendable {
    public var fields: [ParquetField]

    public init(fields: [ParquetField]) {
        self.fields = fields
    }
}

extension PhysicalType {
    /// The Thrift `Type` enum value.
    var thriftValue: Int32 {
        switch self {
        case .boolean: 0
        case .int32: 1
        case .int64: 2
        case .float: 4
        case .double: 5
        case .byteArray: 6
        case .fixedLenByteArray: 7
        }
    }

    /// Bytes per value for the fixed-width types, `nil` for BYTE_ARRAY and BOOLEAN.
    var byteWidth: Int? {
        switch self {
        case .int32, .float: 4
        case .int64, .double: 8
        case .fixedLenByteArray(let width): width
        case .boolean, .byteArray: nil
        }
    }
}
