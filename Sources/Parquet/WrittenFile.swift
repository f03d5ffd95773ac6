/// A minimum or maximum statistic, in the column's physical type.
///
/// Decimals and timestamps arrive as their physical integers (or big-endian bytes for FIXED_LEN_BYTE_ARRAY
/// decimals); the caller knows the logical type and formats them, e.g. for Delta Lake file statistics.
public enum StatValue: Hashable, Sendable {
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
}

/// Per-file statistics of one column, aggregated over all row groups.
public struct ColumnSummary: Hashable, Sendable {
    public var name: String
    public var nullCount: Int
    /// `nil` when every value is NULL (or NaN), or the file has no rows.
    public var min: StatValue?
    public var max: StatValue?

    public init(name: String, nullCount: Int, min: StatValue?, max: StatValue?) {
        self.name = name
        self.nullCount = nullCount
        self.min = min
        self.max = max
    }
}

/// What ``ParquetWriter/close()`` produced: enough to register the file in a table log without reopening it.
public struct WrittenFile: Hashable, Sendable {
    public var path: String
    public var fileSize: Int
    public var numRows: Int
    public var rowGroups: Int
    /// One per schema field, in schema order.
    public var columns: [ColumnSummary]

    public init(path: String, fileSize: Int, numRows: Int, rowGroups: Int, columns: [ColumnSummary]) {
        self.path = path
        self.fileSize = fileSize
        self.numRows = numRows
        self.rowGroups = rowGroups
        self.columns = columns
    }
}
