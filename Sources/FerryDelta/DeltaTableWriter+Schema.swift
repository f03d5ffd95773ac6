import DeltaLake
import FerryCore

/// How a write's schema meets the table's: the checks before writing, and the `protocol` and `metaData` actions
/// a commit carries when the schema evolves.
extension DeltaTableWriter {
    /// The table's columns in `snapshot`; throws when its schema cannot be parsed (a commit must never rewrite
    /// metadata from a schema it could not read).
    func tableSchema(of snapshot: Snapshot) throws(FerryError) -> TableSchema {
        DeltaTypeMapping.tableSchema(try structType(of: snapshot), configuration: snapshot.metadata.configuration)
    }

    /// The table's Delta schema in `snapshot`.
    func structType(of snapshot: Snapshot) throws(FerryError) -> StructType {
        do throws(DeltaError) {
            return try snapshot.schema
        } catch {
            throw self.error(error)
        }
    }

    /// Throws when a primary key column is a list or structure: merges find rows by key (`KeyIndex`, `KeyMatcher`,
    /// file statistics), which only flat values have. Nested columns are otherwise only carried through.
    func checkKeysAreFlat(_ schema: TableSchema) throws(FerryError) {
        for name in schema.primaryKey {
            guard let column = schema.column(named: name), column.type.isNested else { continue }
            throw FerryError(
                .schema,
                "key column \(name) is nested (\(column.type)); Delta tables need flat key columns to merge changes",
                table: label)
        }
    }

    func checkEvolution(from existing: TableSchema, to schema: TableSchema, mode: WriteMode) throws(FerryError) {
        // A replace rewrites every file, so it may change the schema freely.
        if case .replace = mode { return }
        try checkColumns(from: existing, to: schema)
    }

    /// Throws unless `schema` fits the table's columns: same Delta types, and no NOT NULL column it lacks.
    func checkColumns(from existing: TableSchema, to schema: TableSchema) throws(FerryError) {
        for column in schema.columns {
            if let current = existing.column(named: column.name),
                DeltaTypeMapping.deltaType(current.type) != DeltaTypeMapping.deltaType(column.type)
            {
                throw FerryError(
                    .schema,
                    "column \(column.name) is \(column.type) in the source but \(current.type) in the Delta table, "
                        + "which cannot be widened; recreate the table (delete its directory) to change the type",
                    table: label)
            }
        }
        for column in existing.columns where schema.column(named: column.name) == nil && !column.nullable {
            throw FerryError(
                .schema, "Delta column \(column.name) is NOT NULL but missing from the source", table: label)
        }
    }

    /// The `protocol` and `metaData` actions a commit needs: the table's first ones when `current` is nil; else a
    /// new `metaData` when the schema grows (or, for a replace, changes) or the primary key is not recorded yet,
    /// with a higher protocol when the new schema needs one.
    ///
    /// With `deletionVectors` (a change stream writing merge-on-read), the table also gets the `deletionVectors`
    /// feature and `delta.enableDeletionVectors=true`.
    /// - Throws: when `current`'s schema cannot be parsed.
    func schemaActions(
        current: Snapshot?, schema: TableSchema, replace: Bool, partitionBy: [String], now: Int64,
        deletionVectors: Bool = false
    ) throws(FerryError) -> [Action] {
        let structType = DeltaTypeMapping.structType(schema)
        var actions: [Action] = []
        let enabled = "delta.enableDeletionVectors"
        if let current {
            let existing = try self.structType(of: current)
            let merged = replace ? structType : mergedSchema(existing, structType)
            if merged != existing
                || (!schema.primaryKey.isEmpty && current.metadata.configuration[DeltaTypeMapping.primaryKeyKey] == nil)
                || (deletionVectors && current.metadata.configuration[enabled] != "true")
            {
                var metadata = current.metadata
                metadata.schemaString = merged.json
                if !schema.primaryKey.isEmpty {
                    metadata.configuration[DeltaTypeMapping.primaryKeyKey] = schema.primaryKey.joined(separator: ",")
                }
                if deletionVectors { metadata.configuration[enabled] = "true" }
                actions.append(.metadata(metadata))
            }
            if let needed = TableFeatures.upgraded(
                current.protocolAction, for: merged, deletionVectors: deletionVectors)
            {
                actions.append(.protocol(needed))
            }
        } else {
            var configuration: [String: String] = [:]
            if !schema.primaryKey.isEmpty {
                configuration[DeltaTypeMapping.primaryKeyKey] = schema.primaryKey.joined(separator: ",")
            }
            if deletionVectors { configuration[enabled] = "true" }
            let minimal = ProtocolAction(minReaderVersion: 1, minWriterVersion: 2)
            actions.append(
                .protocol(
                    TableFeatures.upgraded(minimal, for: structType, deletionVectors: deletionVectors) ?? minimal))
            actions.append(
                .metadata(
                    MetadataAction(
                        name: label, schemaString: structType.json, partitionColumns: partitionBy,
                        configuration: configuration, createdTime: now)))
        }
        return actions
    }

    /// The table's fields, nullable where `incoming` is (a column the source dropped or made nullable gets
    /// NULLs from now on), then `incoming`'s new fields.
    func mergedSchema(_ existing: StructType, _ incoming: StructType) -> StructType {
        var fields = existing.fields
        for i in fields.indices where !fields[i].nullable && incoming.field(named: fields[i].name)?.nullable == true {
            fields[i].nullable = true
        }
        for f in incoming.fields where existing.field(named: f.name) == nil {
            var nullable = f
            nullable.nullable = true
            fields.append(nullable)
        }
        return StructType(fields: fields)
    }
}
