/// A run of rows in a database's own copy format (PostgreSQL: the bytes of `COPY … TO STDOUT`), moved from a
/// `NativeTableReader` to a `NativeTableWriter` of the same dialect without being decoded.
public struct NativeRows: Sendable {
    /// The stream's bytes, cut between rows (the first chunk holds the format's header, the last its trailer).
    public var bytes: [UInt8]
    /// Whole rows in `bytes`, for progress (the reader's count at the end is the one checked).
    public var rows: Int

    /// A chunk of `rows` whole rows.
    public init(bytes: [UInt8], rows: Int) {
        self.bytes = bytes
        self.rows = rows
    }
}
