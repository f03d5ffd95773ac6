/// The page compression codec.
///
/// ZSTD is the default because it is what Delta Lake writers use when the table doesn't say otherwise, and it
/// compresses better than SNAPPY at a similar speed.
public enum Codec: Hashable, Sendable {
    case uncompressed
    case snappy
    /// RFC 1952 gzip members, as the Parquet spec requires (not zlib or raw deflate).
    case gzip
    /// A standard zstd frame. Level 1 (Arrow's and parquet-rs's default) compresses Parquet pages nearly as well
    /// as level 3 at about twice the speed; higher levels trade speed for size.
    case zstd(level: Int = 1)

    /// The Thrift `CompressionCodec` enum value.
    var thriftValue: Int32 {
        switch self {
        case .uncompressed: 0
        case .snappy: 1
        case .gzip: 2
        case .zstd: 6
        }
    }
}

/// Knobs for ``ParquetWriter``. The defaults suit a replication engine: bounded memory, good compression.
public struct WriterOptions: Hashable, Sendable {
    public var codec: Codec
    /// A row group is closed once its encoded (compressed) size passes this. Memory use is about one row group.
    public var rowGroupBytes: Int
    /// A data page is closed once its encoded, uncompressed size passes this.
    public var pageBytes: Int
    /// Dictionary-encode columns (all types but BOOLEAN) while their distinct values fit in `dictionaryMaxBytes`.
    public var dictionary: Bool
    /// Once a column chunk's dictionary (PLAIN-encoded) would pass this, the rest of the chunk is PLAIN.
    public var dictionaryMaxBytes: Int
    /// Written to the footer; readers parse it to work around known writer bugs, so it names this library.
    public var createdBy: String
    /// Extra footer metadata (Delta Lake and Spark leave hints here).
    public var keyValueMetadata: [String: String]
    /// Write a CRC32 of every page, which readers check. Off by default, like pyarrow.
    public var pageChecksums: Bool
    /// Threads that encode and compress columns in parallel; 0 means one per CPU. Use 1 when many writers run
    /// at once, so they don't oversubscribe the machine.
    public var threads: Int

    public init(
        codec: Codec = .zstd(), rowGroupBytes: Int = 128 << 20, pageBytes: Int = 1 << 20, dictionary: Bool = true,
        dictionaryMaxBytes: Int = 1 << 20, createdBy: String = "ferry-parquet version 0.1",
        keyValueMetadata: [String: String] = [:], pageChecksums: Bool = false, threads: Int = 0
    ) {
        self.codec = codec
        self.rowGroupBytes = rowGroupBytes
        self.pageBytes = pageBytes
        self.dictionary = dictionary
        self.dictionaryMaxBytes = dictionaryMaxBytes
        self.createdBy = createdBy
        self.keyValueMetadata = keyValueMetadata
        self.pageChecksums = pageChecksums
        self.threads = threads
    }
}
