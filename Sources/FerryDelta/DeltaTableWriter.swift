import DeltaLake
import FerryCore
import Foundation
import Parquet

/// One Delta table written by one run: new data files, then one commit that adds them (and removes what they
/// replace), carrying the run's `txn` so that a retried commit is never applied twice.
final class DeltaTableWriter: TableWriter {
    let path: String
    let label: String
    let options: DeltaWriteOptions
    let table: DeltaTable
    /// Deletion vectors and key positions of live files, kept across the batches of a change stream.
    let deletionVectors = DeletionVectorCache()
    let keyIndex = KeyIndex<Int64>()
    /// Keys that are not a single integer column, as digests.
    let digestIndex = KeyIndex<KeyDigest>()

    private var snapshot: Snapshot?
    private var schema = TableSchema(columns: [])
    private var mode = WriteMode.append
    private var files = PartitionedFiles?.none
    /// Configured partition columns (used when the table is created or replaced).
    let configuredPartitions: [String]
    /// Partition columns of this write.
    private(set) var partitionBy: [String] = []
    private var added: [AddFile] = []
    private var rows: Int64 = 0
    private var incomingKeys = Set<[ScalarValue]>()
    private var keyIndexes: [Int] = []

    init(path: String, label: String, options: DeltaWriteOptions, partitionBy: [String] = []) {
        self.path = path
        self.label = label
        self.options = options
        self.configuredPartitions = partitionBy
        self.table = DeltaTable(store: LocalLogStore(root: path), engineInfo: options.engineInfo)
    }

    var appId: String { "\(options.applicationId):\(label)" }

    func error(_ e: DeltaError) -> FerryError {
        let code: FerryError.Code =
            switch e.code {
            case .concurrentModification, .versionAlreadyExists: .transient
            case .io: .io
            case .schema, .unsupportedFeature: .schema
            default: .database
            }
        return FerryError(code, e.message, table: label)
    }

    func loadSnapshot() throws(FerryError) -> Snapshot? {
        do throws(DeltaError) {
            guard try table.exists() else { return nil }
            // A held snapshot is brought up to date from the commits after it, not rebuilt from the checkpoint.
            let s: Snapshot
            if let held = snapshot {
                s = try table.snapshot(refreshing: held)
            } else {
                s = try table.snapshot()
            }
            snapshot = s
            return s
        } catch {
            throw self.error(error)
        }
    }

    func existingSchema() throws(FerryError) -> TableSchema? {
        guard let s = try loadSnapshot() else { return nil }
        do throws(DeltaError) {
            return DeltaTypeMapping.tableSchema(try s.schema, configuration: s.metadata.configuration)
        } catch {
            throw self.error(error)
        }
    }

    func rowCount() throws(FerryError) -> Int64 {
        guard let s = try loadSnapshot() else { return 0 }
        if let n = s.numRecords { return n }
        var total: Int64 = 0
        for f in s.files.values {
            if let n = f.liveRecords {
                total += n
                continue
            }
            do throws(ParquetError) {
                total += Int64(try ParquetReader(path: dataPath(f.path)).numRows) - (f.deletionVector?.cardinality ?? 0)
            } catch {
                throw FerryError(.io, "cannot read \(f.path): \(error)", table: label)
            }
        }
        return total
    }

    func dataPath(_ relative: String) -> String {
        path + "/" + (relative.removingPercentEncoding ?? relative)
    }

    func maxValue(of column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        guard let s = try loadSnapshot() else { return nil }
        var best: ScalarValue?
        for f in s.files.values {
            let stats = f.parsedStats()
            let candidate: ScalarValue?
            if f.deletionVector != nil {
                // Statistics of a file with deleted rows are only bounds: the largest may be gone.
                candidate = try liveMax(f, column: column, type: type)
            } else if let v = FileStatsBuilder.scalar(stats?.maxValues?[column], type: type) {
                candidate = v
            } else if let stats, stats.numRecords > 0, stats.nullCount?[column]?.intValue == stats.numRecords {
                candidate = nil  // all NULL
            } else {
                candidate = try footerMax(f.path, column: column, type: type)
            }
            if let c = candidate, best == nil || (c.compare(to: best ?? c) ?? 0) > 0 { best = c }
        }
        return best
    }

    /// The largest value of `column` among the rows of `file` its deletion vector keeps.
    func liveMax(_ file: AddFile, column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        let reader = try DataFileReader(file, writer: self)
        let wanted = [Column(name: column, type: type, nullable: true)]
        var best: ScalarValue?
        for rg in 0..<reader.rowGroupCount {
            let batch = try reader.readLiveRowGroup(rg, columns: wanted)
            for r in 0..<batch.rowCount {
                guard let v = ScalarValue(vector: batch.vectors[0], row: r, type: type) else { continue }
                if best == nil || (v.compare(to: best ?? v) ?? 0) > 0 { best = v }
            }
        }
        return best
    }

    /// Exact max from the Parquet footer's row-group statistics, for files without usable Delta stats.
    func footerMax(_ relative: String, column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        do throws(ParquetError) {
            let reader = try ParquetReader(path: dataPath(relative))
            guard let index = reader.schema.fields.firstIndex(where: { $0.name == column }) else { return nil }
            var best: ScalarValue?
            for rg in 0..<reader.rowGroupCount {
                let summary = reader.statistics(ofRowGroup: rg)[index]
                guard let stat = summary.max,
                    let v = FileStatsBuilder.scalar(FileStatsBuilder.json(stat, type: type), type: type)
                else { continue }
                if best == nil || (v.compare(to: best ?? v) ?? 0) > 0 { best = v }
            }
            return best
        } catch {
            throw FerryError(.io, "cannot read the statistics of \(relative): \(error)", table: label)
        }
    }

    func recover() throws(FerryError) {
        // Data files of an interrupted run are not referenced by the log, so readers never see them; `vacuum`
        // deletes them once they are older than the retention period.
    }

    func describeWrite(schema: TableSchema, mode: WriteMode) -> [String] {
        let exists = (try? table.exists()) ?? false
        var out: [String] = []
        if !exists { out.append("create Delta table \(path) (version 0: protocol, metaData, data files)") }
        out.append(
            "write Parquet data files (\(options.codec)) under \(path), about \(options.targetFileBytes >> 20) MiB each"
        )
        switch mode {
        case .replace: out.append("commit: remove every current data file, add the new ones, txn \(appId)")
        case .append: out.append("commit: add the new data files, txn \(appId)")
        case .upsert(let key):
            out.append(
                "merge by (\(key.joined(separator: ", "))): rewrite only the files whose key ranges can hold the new keys"
            )
            out.append("commit: remove rewritten files, add rewritten and new files, txn \(appId)")
        }
        return out
    }

    func begin(schema: TableSchema, mode: WriteMode) throws(FerryError) {
        self.schema = schema
        self.mode = mode
        added = []
        rows = 0
        incomingKeys = []
        partitionBy = configuredPartitions
        if let existing = try existingSchema() {
            try checkEvolution(from: existing, to: schema)
            // Old files keep the target's column order; new files follow the source's. Readers map by name.
            let current = snapshot?.metadata.partitionColumns ?? []
            if case .replace = mode {
            } else if current != configuredPartitions {
                if !configuredPartitions.isEmpty {
                    throw FerryError(
                        .schema,
                        "the Delta table is partitioned by (\(current.joined(separator: ", "))) but the config says "
                            + "(\(configuredPartitions.joined(separator: ", "))); a full_replace repartitions it",
                        table: label)
                }
                partitionBy = current
            }
        }
        for p in partitionBy where schema.column(named: p) == nil {
            throw FerryError(.schema, "partition_by column \(p) is not in the table", table: label)
        }
        if case .upsert(let key) = mode {
            keyIndexes = key.compactMap { schema.index(of: $0) }
            if keyIndexes.count != key.count {
                throw FerryError(
                    .schema, "merge key (\(key.joined(separator: ", "))) is not in the table", table: label)
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FerryError(.io, "cannot create \(path): \(error)", table: label)
        }
        files = makeFiles()
    }

    func makeFiles() -> PartitionedFiles {
        PartitionedFiles(
            directory: path, columns: schema.columns, partitionBy: partitionBy, options: options, label: label)
    }

    func checkEvolution(from existing: TableSchema, to schema: TableSchema) throws(FerryError) {
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

    func write(_ batch: RecordBatch) throws(FerryError) {
        if !keyIndexes.isEmpty {
            for r in 0..<batch.rowCount {
                incomingKeys.insert(key(of: batch, row: r))
            }
        }
        guard let files else { throw FerryError(.integrity, "write before begin", table: label) }
        added += try files.write(batch)
        rows += Int64(batch.rowCount)
    }

    func key(of batch: RecordBatch, row: Int) -> [ScalarValue] {
        keyIndexes.map { i in
            ScalarValue(vector: batch.vectors[i], row: row, type: batch.columns[i].type) ?? .text("\u{0}NULL")
        }
    }

    func commit() throws(FerryError) -> Int64 {
        guard let files else { throw FerryError(.integrity, "commit before begin", table: label) }
        added += try files.finish()
        let current = snapshot
        if let current, let done = current.transactionVersion(appId: appId), done >= options.transactionVersion {
            // Either this run already committed (a retry after a lost acknowledgement), or the clock went back.
            try checkOwnCommit(current, done: done)
            self.files = nil
            return rows
        }
        var actions: [Action] = []
        var readFiles = Set<String>()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var operation = "WRITE"
        var parameters: [String: JSONValue] = ["ferryRunId": .string(options.runId)]

        let isReplace = if case .replace = mode { true } else { false }
        actions += schemaActions(
            current: current, schema: schema, replace: isReplace, partitionBy: partitionBy, now: now)

        switch mode {
        case .replace:
            operation = "WRITE"
            parameters["mode"] = .string("Overwrite")
            for f in (current?.files.values).map(Array.init) ?? [] {
                actions.append(.remove(f.removal(at: now)))
                readFiles.insert(f.path)
            }
        case .append:
            parameters["mode"] = .string("Append")
        case .upsert(let key):
            operation = "MERGE"
            parameters["predicate"] = .string("key(\(key.joined(separator: ", ")))")
            if let current, !incomingKeys.isEmpty {
                let existing = DeltaTypeMapping.tableSchema(
                    (try? current.schema) ?? StructType(fields: []), configuration: current.metadata.configuration)
                let rewrite = try MergeRewriter(
                    writer: self, snapshot: current, keys: incomingKeys, keyColumns: key,
                    columns: MergeRewriter.columns(existing: existing, incoming: schema), partitionBy: partitionBy
                ).run()
                for old in rewrite.removed {
                    actions.append(.remove(old.removal(at: now)))
                    readFiles.insert(old.path)
                }
                actions += rewrite.added.map { .add($0) }
            }
        }
        actions += added.map { .add($0) }
        var commit = DeltaTable.Commit(
            actions: actions, operation: operation, parameters: parameters, readVersion: current?.version ?? -1,
            readFiles: readFiles, transaction: SetTransaction(appId: appId, version: options.transactionVersion))
        commit.readSnapshot = current
        do throws(DeltaError) {
            _ = try table.commit(commit)
        } catch {
            throw self.error(error)
        }
        self.files = nil
        return rows
    }

    /// Throws unless the commit that set this table's transaction version came from this run.
    func checkOwnCommit(_ snapshot: Snapshot, done: Int64) throws(FerryError) {
        let ahead = FerryError(
            .integrity,
            "the Delta log already holds txn \(done) for \(appId), ahead of this run's \(options.transactionVersion) "
                + "(was the system clock moved back?); nothing was committed, run again once the clock is right",
            table: label)
        guard let version = snapshot.transactionCommits[appId] else { throw ahead }
        let actions: [Action]
        do throws(DeltaError) {
            actions =
                try table.store.readCommit(version).map { (data) throws(DeltaError) in
                    try CommitCodec.decode(data, version: version)
                } ?? []
        } catch {
            throw self.error(error)
        }
        for case .commitInfo(let info) in actions {
            if case .object(let p)? = info["operationParameters"], p["ferryRunId"]?.stringValue == options.runId {
                return
            }
        }
        throw ahead
    }

    /// The `protocol` and `metaData` actions a commit needs: the table's first ones when `current` is nil; else a
    /// new `metaData` when the schema grows (or, for a replace, changes) or the primary key is not recorded yet,
    /// with a higher protocol when the new schema needs one.
    ///
    /// With `deletionVectors` (a change stream writing merge-on-read), the table also gets the `deletionVectors`
    /// feature and `delta.enableDeletionVectors=true`.
    func schemaActions(
        current: Snapshot?, schema: TableSchema, replace: Bool, partitionBy: [String], now: Int64,
        deletionVectors: Bool = false
    ) -> [Action] {
        let structType = DeltaTypeMapping.structType(schema)
        var actions: [Action] = []
        let enabled = "delta.enableDeletionVectors"
        if let current {
            let existing = (try? current.schema) ?? StructType(fields: [])
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

    /// Deletes data files written for a commit that did not happen (readers never saw them: the log does not
    /// name them).
    func deleteUncommitted(_ files: [AddFile]) {
        for file in files { try? FileManager.default.removeItem(atPath: dataPath(file.path)) }
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

    func abort() {
        files?.discard()
        files = nil
    }

    func close() {
        if files != nil { abort() }
    }
}

extension DeltaTableWriter: TargetDetails {
    func details() throws(FerryError) -> [(label: String, value: String)] {
        guard let s = try loadSnapshot() else { return [] }
        let rows = try rowCount()
        return [
            ("version", String(s.version)), ("files", String(s.files.count)),
            ("size", ByteCountFormatter.string(fromByteCount: s.sizeInBytes, countStyle: .binary)),
            ("rows", String(rows)),
        ]
    }
}
