public import FerryCore
import Foundation
public import Parquet

/// Options for writing Delta tables.
public struct DeltaWriteOptions: Sendable {
    public var codec: Codec
    /// The configured compression (`compression:` on the delta database), as the codec of the data files.
    public var compression: FileCompression {
        get {
            switch codec {
            case .zstd: .zstd
            case .snappy: .snappy
            case .gzip: .gzip
            case .uncompressed: .none
            }
        }
        set {
            switch newValue {
            case .zstd: codec = .zstd()
            case .snappy: codec = .snappy
            case .gzip: codec = .gzip
            case .none: codec = .uncompressed
            }
        }
    }
    /// Data files are closed past this size.
    public var targetFileBytes: Int
    /// Row groups are the unit a merge reads, filters and rewrites, so their size bounds a merge's memory (two
    /// files are rewritten at once): 32 MiB keeps a CDC batch's rewrite well under the 512 MiB budget while engines
    /// still read large, well-compressed row groups.
    public var rowGroupBytes: Int
    /// The `txn` version of this run: commits of an earlier or the same run are recognised and skipped.
    public var transactionVersion: Int64
    /// Prefix of the `txn` appId; the table name follows.
    public var applicationId: String
    public var engineInfo: String
    /// Identifies the run in each commit, so a commit found already done is known to be this run's own.
    public var runId: String
    /// Change streams mark the rows they replace or delete in deletion vectors (merge-on-read) instead of
    /// rewriting the files that hold them: a batch then costs its own size, not the table's. Readers need
    /// deletion vector support (Spark/Delta 2.4+, delta-rs through DataFusion, DuckDB, Trino); `false` keeps
    /// copy-on-write tables that any Delta reader reads.
    public var deletionVectors: Bool
    /// Where housekeeping that failed after a durable commit is reported (a checkpoint not written, a compaction not
    /// done): the commit stands, so it is a warning, never an error. One line on standard error by default; the CLI
    /// routes it through its own output, so `--log-format json` sees it as a JSON line.
    public var warn: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }

    public init(
        codec: Codec = .zstd(), targetFileBytes: Int = 128 << 20, rowGroupBytes: Int = 32 << 20,
        transactionVersion: Int64 = Int64(Date().timeIntervalSince1970 * 1000), applicationId: String = "ferry",
        engineInfo: String = "ferry", runId: String = UUID().uuidString.lowercased(), deletionVectors: Bool = true
    ) {
        self.runId = runId
        self.deletionVectors = deletionVectors
        self.codec = codec
        self.targetFileBytes = targetFileBytes
        self.rowGroupBytes = rowGroupBytes
        self.transactionVersion = transactionVersion
        self.applicationId = applicationId
        self.engineInfo = engineInfo
    }
}

/// Writes tables as Delta Lake tables under one directory: table `S.T` lives at `<root>/<T>`.
public struct DeltaDestination: Destination {
    public let root: String
    public var options: DeltaWriteOptions
    /// Partition columns by table name, for tables created (or replaced) by this destination.
    public var partitions: [String: [String]]

    public init(root: String, options: DeltaWriteOptions = DeltaWriteOptions(), partitions: [String: [String]] = [:]) {
        self.root = root
        self.options = options
        self.partitions = partitions
    }

    public func openWriter(_ table: TableName) throws(FerryError) -> any TableWriter {
        DeltaTableWriter(
            path: path(of: table), label: table.description, options: options,
            partitionBy: partitions[table.name] ?? [])
    }

    /// The directory of `table`'s Delta table: `<root>/<table name>`, the schema left out.
    public func path(of table: TableName) -> String {
        root + "/" + table.name
    }
}
