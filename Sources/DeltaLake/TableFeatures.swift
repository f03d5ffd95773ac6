/// Which protocol versions and table features this library implements, and the checks that refuse the rest.
///
/// Reading a table wrongly is worse than not reading it: a table needing a feature we do not implement (deletion
/// vectors, column mapping, ...) is refused with an error naming the feature.
public enum TableFeatures {
    public static let supportedReaderFeatures: Set<String> = ["timestampNtz"]
    public static let supportedWriterFeatures: Set<String> = ["timestampNtz", "appendOnly", "invariants"]
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
}
