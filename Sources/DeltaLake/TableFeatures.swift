/// Which protocol versions and table features this library implements, and the checks that refuse the rest.
///
/// Reading a table wrongly is worse than not reading it: a table needing a feature we do not implement (column
/// mapping, V2 checkpoints, ...) is refused with an error naming the feature. Deletion vectors are implemented:
/// every reader of data files in this package applies them (`DeletionVectorStorage`).
public enum TableFeatures {
    public static let supportedReaderFeatures: Set<String> = ["timestampNtz", "deletionVectors"]
    public static let supportedWriterFeatures: Set<String> = [
        "timestampNtz", "appendOnly", "invariants", "deletionVectors",
    ]
    static let maxReaderVersion = 3
    static let maxWriterVersion = 7

    static func checkReadable(_ p: ProtocolAction, table: String) throws(DeltaError) {
        if p.minReaderVersion > maxReaderVersion {
            throw DeltaError(
                .unsupportedFeature,
                "reader version \(p.minReaderVersion) is not supported (up to \(maxReaderVersion))", table: table)
        }
        if p.minReaderVersion == 2 {
            throw DeltaError(
                .unsupportedFeature,
                "the table needs column mapping (reader version 2), which ferry does not implement", table: table)
        }
        if p.minReaderVersion == 3 {
            let missing = Set(p.readerFeatures ?? []).subtracting(supportedReaderFeatures)
            if !missing.isEmpty {
                throw DeltaError(
                    .unsupportedFeature,
                    "the table needs reader feature(s) \(missing.sorted().joined(separator: ", ")), which ferry does not implement; it is never read wrongly",
                    table: table)
            }
        }
    }

    /// The error for a table whose checkpoints follow the V2 spec (UUID-named files, sidecars): their file
    /// actions may live in sidecar files this library does not read, so the table is refused rather than read
    /// without them.
    static func v2CheckpointRefusal(_ what: String, table: String) -> DeltaError {
        DeltaError(
            .unsupportedFeature,
            "\(what): the table needs reader feature v2Checkpoint, which ferry does not implement; it is never read wrongly",
            table: table)
    }

    /// Checks that this library may write to a table with protocol `p`.
    public static func checkWritable(_ p: ProtocolAction, table: String) throws(DeltaError) {
        try checkReadable(p, table: table)
        if p.minWriterVersion > maxWriterVersion {
            throw DeltaError(.unsupportedFeature, "writer version \(p.minWriterVersion) is not supported", table: table)
        }
        let legacy: [Int: String] = [
            3: "CHECK constraints (writer version 3)", 4: "change data feed / generated columns (writer version 4)",
            5: "column mapping (writer version 5)", 6: "identity columns (writer version 6)",
        ]
        if let feature = legacy[p.minWriterVersion] {
            throw DeltaError(
                .unsupportedFeature, "the table needs \(feature), which ferry does not implement for writing",
                table: table)
        }
        if p.minWriterVersion == 7 {
            let missing = Set(p.writerFeatures ?? []).subtracting(supportedWriterFeatures)
            if !missing.isEmpty {
                throw DeltaError(
                    .unsupportedFeature,
                    "the table needs writer feature(s) \(missing.sorted().joined(separator: ", ")), which ferry does not implement",
                    table: table)
            }
        }
    }

    /// The lowest protocol that supports `schema`: (1, 2), or (3, 7) with `timestampNtz` when it is used.
    public static func minimalProtocol(for schema: StructType) -> ProtocolAction {
        if schema.usesTimestampNtz {
            return ProtocolAction(
                minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["timestampNtz"],
                writerFeatures: ["timestampNtz"])
        }
        return ProtocolAction(minReaderVersion: 1, minWriterVersion: 2)
    }

    /// The protocol a table on `p` moves to so it supports `schema` (timestampNtz) and, when asked, deletion
    /// vectors; `nil` when `p` already does.
    ///
    /// Moving to reader 3 / writer 7 lists the features the old versions implied: writer 2 implies `appendOnly`
    /// and `invariants` (the only ones below 3 this library writes).
    public static func upgraded(
        _ p: ProtocolAction, for schema: StructType, deletionVectors: Bool
    ) -> ProtocolAction? {
        var needed = Set<String>()
        if schema.usesTimestampNtz { needed.insert("timestampNtz") }
        if deletionVectors { needed.insert("deletionVectors") }
        let readers = Set(p.minReaderVersion >= 3 ? p.readerFeatures ?? [] : [])
        var writers = Set(p.minWriterVersion >= 7 ? p.writerFeatures ?? [] : [])
        if needed.isSubset(of: readers) && needed.isSubset(of: writers) { return nil }
        if p.minWriterVersion >= 2 && p.minWriterVersion < 7 { writers.formUnion(["appendOnly", "invariants"]) }
        let allReaders = readers.union(needed)
        writers.formUnion(allReaders)
        return ProtocolAction(
            minReaderVersion: 3, minWriterVersion: 7, readerFeatures: allReaders.sorted(),
            writerFeatures: writers.sorted())
    }
}
