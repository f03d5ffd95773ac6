/// Everything that can go wrong while writing or reading a Parquet file.
///
/// A struct with an extensible ``Code`` rather than an enum, so new failure kinds don't break callers. The message
/// names the file, column and page involved, so a failure in a pipeline with hundreds of files can be traced.
public struct ParquetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, for callers that react differently to, say, I/O errors and corrupt files.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case io
            case invalidSchema
            case invalidBatch
            case unsupported
            case corrupt
            case compression
            case closed
            case unknownColumn
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A system call failed (open, write, read, fsync).
        public static let io = Self(.io)
        /// The schema handed to the writer is inconsistent (a logical type on the wrong physical type, ...).
        public static let invalidSchema = Self(.invalidSchema)
        /// A batch handed to the writer doesn't match the schema (wrong type, row counts differ, NULL in a required column).
        public static let invalidBatch = Self(.invalidBatch)
        /// The file uses a feature this library does not implement (nested schema, LZO, encryption, ...).
        public static let unsupported = Self(.unsupported)
        /// The file is not valid Parquet, or is truncated.
        public static let corrupt = Self(.corrupt)
        /// A codec library reported an error.
        public static let compression = Self(.compression)
        /// The writer was used after `close()`, or a previous error left it unusable.
        public static let closed = Self(.closed)
        /// A projection names a column the file doesn't have.
        public static let unknownColumn = Self(.unknownColumn)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// What happened and where: file path, column and page where known.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message alone, as a user should read it (it names the file, column and page); callers that need the
    /// kind look at ``code``.
    public var description: String { message }
}
