import Parquet

/// Turns checkpoint rows back into actions, finding fields by name.
///
/// Checkpoints written by Spark, delta-rs and this library differ in field order, nullability and extra fields
/// (`stats_parsed`, `partitionValues_parsed`, `baseRowId`, `deletionVector`, ...), so nothing is read by
/// position; a field that is absent reads as NULL, as the spec says.
struct CheckpointDecoder {
    /// Where the checkpoint is, for messages.
    let context: String
    let table: String
    private let layouts: [String: GroupLayout]

    init(nodes: [SchemaNode], context: String, table: String) {
        self.context = context
        self.table = table
        var layouts: [String: GroupLayout] = [:]
        for node in nodes { layouts[node.name] = GroupLayout(node) }
        self.layouts = layouts
    }

    /// The action of one row, given the values of `columns`; `nil` for a row holding none we replay.
    func action(_ values: [ParquetValue], columns: [String]) throws(DeltaError) -> Action? {
        for (name, value) in zip(columns, values) {
            guard case .group(let fields) = value, let layout = layouts[name] else { continue }
            switch name {
            case "add": return .add(try add(fields, layout))
            case "remove": return .remove(try remove(fields, layout))
            case "metaData": return .metadata(try metadata(fields, layout))
            case "protocol": return .protocol(try protocolAction(fields, layout))
            case "txn": return .txn(try txn(fields, layout))
            default: continue
            }
        }
        return nil
    }

    private func missing(_ field: String) -> DeltaError {
        DeltaError(.corruptLog, "\(context): a row has no \(field)", table: table)
    }

    private func add(_ fields: [ParquetValue], _ layout: GroupLayout) throws(DeltaError) -> AddFile {
        guard let path = layout.string("path", fields) else { throw missing("add.path") }
        guard let size = layout.int64("size", fields) else { throw missing("add.size") }
        var file = AddFile(
            path: path, partitionValues: layout.optionalStringMap("partitionValues", fields) ?? [:], size: size,
            modificationTime: layout.int64("modificationTime", fields) ?? 0,
            dataChange: layout.bool("dataChange", fields) ?? false, stats: layout.string("stats", fields),
            tags: layout.stringMap("tags", fields))
        file.deletionVector = deletionVector(fields, layout)
        return file
    }

    private func deletionVector(_ fields: [ParquetValue], _ layout: GroupLayout) -> DeletionVectorDescriptor? {
        guard let dv = layout.child("deletionVector"),
            case .group(let dvFields) = layout.value("deletionVector", fields)
        else { return nil }
        return DeletionVectorDescriptor(
            storageType: dv.string("storageType", dvFields) ?? "",
            pathOrInlineDv: dv.string("pathOrInlineDv", dvFields) ?? "",
            offset: dv.int64("offset", dvFields).map { Int($0) },
            sizeInBytes: Int(dv.int64("sizeInBytes", dvFields) ?? 0),
            cardinality: dv.int64("cardinality", dvFields) ?? 0)
    }

    private func remove(_ fields: [ParquetValue], _ layout: GroupLayout) throws(DeltaError) -> RemoveFile {
        guard let path = layout.string("path", fields) else { throw missing("remove.path") }
        return RemoveFile(
            path: path, deletionTimestamp: layout.int64("deletionTimestamp", fields),
            dataChange: layout.bool("dataChange", fields) ?? false,
            extendedFileMetadata: layout.bool("extendedFileMetadata", fields),
            partitionValues: layout.optionalStringMap("partitionValues", fields),
            size: layout.int64("size", fields), deletionVector: deletionVector(fields, layout))
    }

    private func metadata(_ fields: [ParquetValue], _ layout: GroupLayout) throws(DeltaError) -> MetadataAction {
        guard let id = layout.string("id", fields) else { throw missing("metaData.id") }
        guard let schemaString = layout.string("schemaString", fields) else { throw missing("metaData.schemaString") }
        var format = MetadataAction.Format()
        if let formatLayout = layout.child("format"), case .group(let formatFields) = layout.value("format", fields) {
            format = MetadataAction.Format(
                provider: formatLayout.string("provider", formatFields) ?? "parquet",
                options: formatLayout.stringMap("options", formatFields) ?? [:])
        }
        return MetadataAction(
            id: id, name: layout.string("name", fields), description: layout.string("description", fields),
            format: format, schemaString: schemaString,
            partitionColumns: layout.stringList("partitionColumns", fields) ?? [],
            configuration: layout.stringMap("configuration", fields) ?? [:],
            createdTime: layout.int64("createdTime", fields))
    }

    private func protocolAction(_ fields: [ParquetValue], _ layout: GroupLayout) throws(DeltaError) -> ProtocolAction {
        guard let reader = layout.int64("minReaderVersion", fields) else { throw missing("protocol.minReaderVersion") }
        guard let writer = layout.int64("minWriterVersion", fields) else { throw missing("protocol.minWriterVersion") }
        return ProtocolAction(
            minReaderVersion: Int(reader), minWriterVersion: Int(writer),
            readerFeatures: layout.stringList("readerFeatures", fields),
            writerFeatures: layout.stringList("writerFeatures", fields))
    }

    private func txn(_ fields: [ParquetValue], _ layout: GroupLayout) throws(DeltaError) -> SetTransaction {
        guard let appId = layout.string("appId", fields) else { throw missing("txn.appId") }
        guard let version = layout.int64("version", fields) else { throw missing("txn.version") }
        return SetTransaction(appId: appId, version: version, lastUpdated: layout.int64("lastUpdated", fields))
    }
}

/// The positions of a struct's fields by name, with the layouts of its nested structs.
struct GroupLayout {
    private var positions: [String: Int] = [:]
    private var children: [String: GroupLayout] = [:]

    init(_ node: SchemaNode) {
        guard case .group(_, _, let nodes) = node else { return }
        for (position, child) in nodes.enumerated() {
            positions[child.name] = position
            if case .group = child { children[child.name] = GroupLayout(child) }
        }
    }

    func child(_ name: String) -> GroupLayout? { children[name] }

    /// The value of field `name`; `.null` when the struct has no such field.
    func value(_ name: String, _ fields: [ParquetValue]) -> ParquetValue {
        guard let position = positions[name], position < fields.count else { return .null }
        return fields[position]
    }

    func string(_ name: String, _ fields: [ParquetValue]) -> String? {
        Self.string(value(name, fields))
    }

    func int64(_ name: String, _ fields: [ParquetValue]) -> Int64? {
        switch value(name, fields) {
        case .int64(let v): v
        case .int32(let v): Int64(v)
        default: nil
        }
    }

    func bool(_ name: String, _ fields: [ParquetValue]) -> Bool? {
        if case .boolean(let v) = value(name, fields) { return v }
        return nil
    }

    func stringList(_ name: String, _ fields: [ParquetValue]) -> [String]? {
        guard case .list(let items) = value(name, fields) else { return nil }
        return items.compactMap(Self.string)
    }

    /// A map whose NULL values are dropped (configuration, options, tags).
    func stringMap(_ name: String, _ fields: [ParquetValue]) -> [String: String]? {
        optionalStringMap(name, fields)?.compactMapValues { $0 }
    }

    /// A map whose values may be NULL (partition values: NULL is a null partition).
    func optionalStringMap(_ name: String, _ fields: [ParquetValue]) -> [String: String?]? {
        guard case .map(let entries) = value(name, fields) else { return nil }
        var result: [String: String?] = [:]
        for entry in entries {
            guard let key = Self.string(entry.key) else { continue }
            result.updateValue(Self.string(entry.value), forKey: key)
        }
        return result
    }

    /// Text from a STRING column, or from a BYTE_ARRAY one that an older writer left unannotated.
    private static func string(_ value: ParquetValue) -> String? {
        switch value {
        case .string(let s): s
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}
