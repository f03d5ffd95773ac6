/// How a lake target compresses its data files (`compression:` on a delta database): a typed value from the config
/// to the writer, which maps it to its format's codec.
public enum FileCompression: String, Sendable, Hashable, CaseIterable {
    case zstd
    case snappy
    case gzip
    case none
}
