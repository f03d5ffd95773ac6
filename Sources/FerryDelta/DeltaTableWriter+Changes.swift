import DeltaLake
import FerryCore
import Foundation

/// Change sets (CDC) applied to a Delta table as one commit.
///
/// With deletion vectors (the default), the commit marks the rows touched keys held in their files' vectors and
/// adds the new rows; without, it removes the files that held touched keys and adds their rewritten survivors and
/// the new rows. Either way it carries the position as the pipeline's `txn`: the data and the position land in
/// one atomic step, and a replay after a crash finds its position already in the log and writes nothing. (The
/// parts of a transaction too big for one batch carry no `txn`: see `ChangePosition.partOf`.)
extension DeltaTableWriter: ChangeWriter {
    /// Rows per batch while writing a change set's rows (memory: one batch on top of the change set).
    static let changeBatchRows = 4096

    /// The `txn` appId holding `pipeline`'s position; the version is the LSN's bit pattern.
    static func changeAppId(_ pipeline: String) -> String { "ferry-cdc:\(pipeline)" }

    func appliedPosition(pipeline: String) throws(FerryError) -> LSN? {
        guard let snapshot = try loadSnapshot() else { return nil }
        return snapshot.transactionVersion(appId: Self.changeAppId(pipeline)).map {
            LSN(rawValue: UInt64(bitPattern: $0))
        }
    }

    func apply(
        _ changes: ChangeSet, schema: TableSchema, at position: ChangePosition, pipeline: String
    ) throws(FerryError) -> Bool {
        try checkKeysAreFlat(schema)
        let current = try loadSnapshot()
        let appId = Self.changeAppId(pipeline)
        let held = current?.transactionVersion(appId: appId).map { LSN(rawValue: UInt64(bitPattern: $0)) }
        guard try position.needsApplying(over: held, schema: schema, table: label) else { return false }
        // Files carry every column of the table, so rows kept by a rewrite lose nothing.
        var columns = schema.columns
        var partitions = configuredPartitions
        if let current {
            let existing = try tableSchema(of: current)
            try checkColumns(from: existing, to: schema)
            columns = MergeRewriter.columns(existing: existing, incoming: schema)
            partitions = current.metadata.partitionColumns
        }
        for p in partitions where !columns.contains(where: { $0.name == p }) {
            throw FerryError(
                .schema,
                "partition column \(p) (partition_by, or the Delta table's own partitioning) is not a column of the "
                    + "table; fix partition_by in the table's config, or recreate the Delta table",
                table: label)
        }
        try files.createRoot()
        let rows = try ChangedRows(changes, schema: schema, columns: columns, table: files)
        if let current { files.retain(paths: Set(current.files.keys)) }
        var removed: [AddFile] = []
        var added: [AddFile] = []
        // Files already in the table, added again with a new deletion vector: never deleted on failure.
        var marked = DeletionVectorMerge.Marked()
        do throws(FerryError) {
            if let current, changes.truncated {
                removed = Array(current.files.values)
                added = try rows.write(captured: [:], partitionBy: partitions)
            } else if let current, !rows.touched.isEmpty, options.deletionVectors {
                let merge = DeletionVectorMerge(
                    table: files, snapshot: current, columns: columns, keyColumns: schema.primaryKey)
                let located = try merge.locate(rows.touched, capture: rows.capture)
                added = try rows.write(captured: located.captured, partitionBy: partitions)
                marked = try merge.mark(located)
                removed = marked.removed
            } else if let current, !rows.touched.isEmpty {
                var rewriter = MergeRewriter(
                    table: files, snapshot: current, keys: rows.touched, keyColumns: schema.primaryKey,
                    columns: columns, partitionBy: partitions)
                rewriter.capture = rows.capture
                // New rows that take nothing from the dropped ones are written while the files are rewritten.
                let independent = rows.capture.isEmpty
                let merged = try rewriter.run(
                    alongside: independent
                        ? { () throws(FerryError) -> [AddFile] in try rows.write(captured: [:], partitionBy: partitions)
                        }
                        : nil)
                removed = merged.removed
                added = merged.added
                if !independent { added += try rows.write(captured: merged.captured, partitionBy: partitions) }
            } else {
                added = try rows.write(captured: [:], partitionBy: partitions)
            }
            let committed = try commitChanges(
                changes, schema: schema, current: current, partitions: partitions, removed: removed,
                added: marked.added + added,
                transaction: position.stored.map {
                    SetTransaction(appId: appId, version: Int64(bitPattern: $0.rawValue))
                },
                parameters: ["pipeline": .string(pipeline), "position": .string(position.description)])
            if !committed { files.deleteUncommitted(added, vectorFile: marked.vectorFile) }
            if committed && options.deletionVectors { compactAfterCommit(position) }
            return committed
        } catch {
            files.deleteUncommitted(added, vectorFile: marked.vectorFile)
            throw error
        }
    }

    /// Combines small files after a batch committed. Housekeeping on top of a durable commit: its failure (a file
    /// it cannot read, a conflicting writer) must neither fail the batch, whose position is in the log so a retry
    /// would skip it, nor reach the cleanup of the batch's files, which the new version references. It is reported
    /// and tried again after the next batch.
    private func compactAfterCommit(_ position: ChangePosition) {
        do throws(FerryError) {
            _ = try compactIfDue()
        } catch {
            options.warn(
                "table \(label): compacting after the batch at \(position) failed (the batch is committed; the next "
                    + "batch tries again): \(error.message)")
        }
    }

    /// One commit of `removed` and `added` with the schema's metadata when it evolved (or the table is new) and
    /// `transaction`; `false` when the log already holds the transaction (another writer applied it meanwhile).
    private func commitChanges(
        _ changes: ChangeSet, schema: TableSchema, current: Snapshot?, partitions: [String], removed: [AddFile],
        added: [AddFile], transaction: SetTransaction?, parameters: [String: JSONValue]
    ) throws(FerryError) -> Bool {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var actions = try schemaActions(
            current: current, schema: schema, replace: false, partitionBy: partitions, now: now,
            deletionVectors: options.deletionVectors)
        actions += removed.map { .remove($0.removal(at: now)) }
        actions += added.map { .add($0) }
        var parameters = parameters
        parameters["predicate"] = .string("key(\(schema.primaryKey.joined(separator: ", ")))")
        parameters["truncated"] = .string(String(changes.truncated))
        parameters["deletedKeys"] = .string(String(changes.deletes.count))
        parameters["upsertedRows"] = .string(String(changes.upsertCount))
        var commit = DeltaTable.Commit(
            actions: actions, operation: "MERGE", parameters: parameters, readVersion: current?.version ?? -1,
            readFiles: Set(removed.map(\.path)), transaction: transaction)
        commit.readSnapshot = current
        do throws(DeltaError) {
            switch try table.commit(commit) {
            case .committed: return true
            case .alreadyCommitted: return false
            }
        } catch {
            throw self.error(error)
        }
    }
}
