import Parquet

/// The Parquet schema of the classic (V1 spec) checkpoints this library writes, and the rows of its actions.
///
/// One struct column per action type and one action per row, the other columns NULL (PROTOCOL.md, "Checkpoint
/// Schema"). Fields are nullable as Spark writes them, so every reader that reads Spark's checkpoints reads ours;
/// only map keys are required, as the Parquet MAP layout demands. `stats` stays a JSON string
/// (`delta.checkpoint.writeStatsAsJson`, the default) and `remove` carries no stats or tags: in a checkpoint it
/// is only a tombstone for VACUUM.
enum CheckpointSchema {
    /// Top-level columns, in Spark's order.
    static let columns = ["txn", "add", "remove", "metaData", "protocol"]

    static let nodes: [SchemaNode] = [
        group(
            "txn",
            [string("appId"), long("version"), long("lastUpdated")]),
        group(
            "add",
            [
                string("path"), stringMap("partitionValues"), long("size"), long("modificationTime"),
                boolean("dataChange"), string("stats"), stringMap("tags"), deletionVector,
            ]),
        group(
            "remove",
            [
                string("path"), long("deletionTimestamp"), boolean("dataChange"), boolean("extendedFileMetadata"),
                stringMap("partitionValues"), long("size"), deletionVector,
            ]),
        group(
            "metaData",
            [
                string("id"), string("name"), string("description"),
                group("format", [string("provider"), stringMap("options")]), string("schemaString"),
                stringList("partitionColumns"), stringMap("configuration"), long("createdTime"),
            ]),
        group(
            "protocol",
            [
                int("minReaderVersion"), int("minWriterVersion"), stringList("readerFeatures"),
                stringList("writerFeatures"),
            ]
        ),
    ]

    /// The checkpoint row of `action`, or `nil` for actions a checkpoint never holds (commitInfo, cdc, ...).
    static func row(_ action: Action) -> [ParquetValue]? {
        var row = [ParquetValue](repeating: .null, count: columns.count)
        switch action {
        case .txn(let t):
            row[0] = .group([.string(t.appId), .int64(t.version), optional(t.lastUpdated, ParquetValue.int64)])
        case .add(let a):
            row[1] = .group([
                .string(a.path), map(a.partitionValues), .int64(a.size), .int64(a.modificationTime),
                .boolean(a.dataChange), optional(a.stats, ParquetValue.string), optional(a.tags, map),
                optional(a.deletionVector, vector),
            ])
        case .remove(let r):
            row[2] = .group([
                .string(r.path), optional(r.deletionTimestamp, ParquetValue.int64), .boolean(r.dataChange),
                optional(r.extendedFileMetadata, ParquetValue.boolean), optional(r.partitionValues, map),
                optional(r.size, ParquetValue.int64), optional(r.deletionVector, vector),
            ])
        case .metadata(let m):
            row[3] = .group([
                .string(m.id), optional(m.name, ParquetValue.string), optional(m.description, ParquetValue.string),
                .group([.string(m.format.provider), map(m.format.options)]), .string(m.schemaString),
                .list(m.partitionColumns.map(ParquetValue.string)), map(m.configuration),
                optional(m.createdTime, ParquetValue.int64),
            ])
        case .protocol(let p):
            // The spec wants the feature lists NULL below reader 3 / writer 7, and present at or above them.
            let readers = p.minReaderVersion >= 3 ? p.readerFeatures ?? [] : nil
            let writers = p.minWriterVersion >= 7 ? p.writerFeatures ?? [] : nil
            row[4] = .group([
                .int32(Int32(clamping: p.minReaderVersion)), .int32(Int32(clamping: p.minWriterVersion)),
                optional(readers) { .list($0.map(ParquetValue.string)) },
                optional(writers) { .list($0.map(ParquetValue.string)) },
            ])
        case .commitInfo, .other:
            return nil
        }
        return row
    }

    /// The `deletionVector` struct of `add` and `remove` (PROTOCOL.md, "Deletion Vector Descriptor Schema").
    private static let deletionVector = group(
        "deletionVector",
        [string("storageType"), string("pathOrInlineDv"), int("offset"), int("sizeInBytes"), long("cardinality")])

    private static func vector(_ d: DeletionVectorDescriptor) -> ParquetValue {
        .group([
            .string(d.storageType), .string(d.pathOrInlineDv), optional(d.offset) { .int32(Int32(clamping: $0)) },
            .int32(Int32(clamping: d.sizeInBytes)), .int64(d.cardinality),
        ])
    }

    // MARK: - Building blocks

    private static func leaf(_ name: String, _ type: PhysicalType, _ logical: LogicalType = .none) -> SchemaNode {
        .primitive(ParquetField(name: name, physicalType: type, logicalType: logical, nullable: true))
    }
    private static func string(_ name: String) -> SchemaNode { leaf(name, .byteArray, .string) }
    private static func long(_ name: String) -> SchemaNode { leaf(name, .int64) }
    private static func int(_ name: String) -> SchemaNode { leaf(name, .int32) }
    private static func boolean(_ name: String) -> SchemaNode { leaf(name, .boolean) }
    private static func group(_ name: String, _ children: [SchemaNode]) -> SchemaNode {
        .group(name: name, nullable: true, children: children)
    }
    private static func stringList(_ name: String) -> SchemaNode {
        .list(name: name, nullable: true, element: string("element"))
    }
    private static func stringMap(_ name: String) -> SchemaNode {
        .map(
            name: name, nullable: true,
            key: .primitive(ParquetField(name: "key", physicalType: .byteArray, logicalType: .string, nullable: false)),
            value: string("value"))
    }

    private static func optional<T>(_ value: T?, _ wrap: (T) -> ParquetValue) -> ParquetValue {
        value.map(wrap) ?? .null
    }

    /// Entries sorted by key, so the same state always gives the same file.
    private static func map(_ values: [String: String?]) -> ParquetValue {
        .map(
            values.sorted { $0.key < $1.key }.map {
                MapEntry(key: .string($0.key), value: $0.value.map(ParquetValue.string) ?? .null)
            })
    }

    private static func map(_ values: [String: String]) -> ParquetValue {
        .map(values.sorted { $0.key < $1.key }.map { MapEntry(key: .string($0.key), value: .string($0.value)) })
    }
}
