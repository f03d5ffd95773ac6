import DeltaLake
import FerryCore
import Foundation
import Parquet

/// One Delta table written by one run: new data files, then one commit that adds them (and removes what they
/// replace), carrying the run's `txn` so that a retried commit is never applied twice.
///
/// The writer owns the table's log and the snapshot it last read; its helpers (merges, readers, key indexes,
/// deletion vectors) see only ``files``, and a write's state lives in the ``WriteSession`` between `begin` and
/// `commit`.
final class DeltaTableWriter: TableWriter {
    let files: DeltaTableFiles
    let table: DeltaTable
    /// Configured partition columns (used when the table is created or replaced).
    let configuredPartitions: [String]

    /// The snapshot last read, brought up to date from the commits after it on the next read.
    private var latest: Snapshot?
    /// The write in progress, from `begin` to `commit` or `abort`.
    private var session: WriteSession?

    init(path: String, label: String, options: DeltaWriteOptions, partitionBy: [String] = []) {
        var table = DeltaTable(store: LocalLogStore(root: path), engineInfo: options.engineInfo)
        let warn = options.warn
        table.onCheckpointFailure = { error in warn("\(error)") }
        self.table = table
        self.files = DeltaTableFiles(path: path, label: label, options: options, store: table.store)
        self.configuredPartitions = partitionBy
    }

    var path: String { files.path }
    var label: String { files.label }
    var options: DeltaWriteOptions { files.options }
    var appId: String { "\(options.applicationId):\(label)" }

    func error(_ e: DeltaError) -> FerryError { files.error(e) }

    /// The latest snapshot, or `nil` when the table does not exist yet.
    func loadSnapshot() throws(FerryError) -> Snapshot? {
        do throws(DeltaError) {
            guard try table.exists() else { return nil }
            // A held snapshot is brought up to date from the commits after it, not rebuilt from the checkpoint.
            let s: Snapshot
            if let held = latest {
                s = try table.snapshot(refreshing: held)
            } else {
                s = try table.snapshot()
            }
            latest = s
            return s
        } catch {
            throw self.error(error)
        }
    }

    func existingSchema() throws(FerryError) -> TableSchema? {
        guard let s = try loadSnapshot() else { return nil }
        return try tableSchema(of: s)
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
            total += Int64(try files.open(f).numRows) - (f.deletionVector?.cardinality ?? 0)
        }
        return total
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
        try checkKeysAreFlat(schema)
        if let session { session.discard(in: files) }
        session = nil
        var partitionBy = configuredPartitions
        let snapshot = try loadSnapshot()
        if let snapshot {
            try checkEvolution(from: try tableSchema(of: snapshot), to: schema, mode: mode)
            // Old files keep the target's column order; new files follow the source's. Readers map by name.
            let current = snapshot.metadata.partitionColumns
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
            throw FerryError(
                .schema,
                "partition column \(p) (partition_by) is not a column of the source; "
                    + "fix partition_by in the table's config, or run a full_replace to repartition the table",
                table: label)
        }
        var keyIndexes: [Int] = []
        if case .upsert(let key) = mode {
            keyIndexes = key.compactMap { schema.index(of: $0) }
            if keyIndexes.count != key.count {
                throw FerryError(
                    .schema, "merge key (\(key.joined(separator: ", "))) is not in the table", table: label)
            }
        }
        try files.createRoot()
        session = WriteSession(
            snapshot: snapshot, schema: schema, mode: mode, partitionBy: partitionBy,
            output: files.makeFiles(columns: schema.columns, partitionBy: partitionBy), keyIndexes: keyIndexes)
    }

    func write(_ batch: RecordBatch) throws(FerryError) {
        guard session != nil else { throw FerryError(.integrity, "write before begin", table: label) }
        try session?.write(batch)
    }

    func commit() throws(FerryError) -> Int64 {
        guard var session else { throw FerryError(.integrity, "commit before begin", table: label) }
        self.session = nil
        do throws(FerryError) {
            try session.finish()
            try commit(session)
        } catch {
            // Nothing of this write is in the log: its files go (the merge deletes its own rewrites itself).
            session.discard(in: files)
            throw error
        }
        return session.rows
    }

    /// Commits what `session` wrote against the snapshot it began with.
    private func commit(_ session: WriteSession) throws(FerryError) {
        let current = session.snapshot
        if let current, let done = current.transactionVersion(appId: appId), done >= options.transactionVersion {
            // Either this run already committed (a retry after a lost acknowledgement), or the clock went back.
            try checkOwnCommit(current, done: done)
            session.discard(in: files)
            return
        }
        var actions: [Action] = []
        var readFiles = Set<String>()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var operation = "WRITE"
        var parameters: [String: JSONValue] = ["ferryRunId": .string(options.runId)]
        let isReplace = if case .replace = session.mode { true } else { false }
        actions += try schemaActions(
            current: current, schema: session.schema, replace: isReplace, partitionBy: session.partitionBy, now: now)
        var rewritten: [AddFile] = []
        switch session.mode {
        case .replace:
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
            if let current, !session.incomingKeys.isEmpty {
                let existing = try tableSchema(of: current)
                let rewrite = try MergeRewriter(
                    table: files, snapshot: current, keys: session.incomingKeys, keyColumns: key,
                    columns: MergeRewriter.columns(existing: existing, incoming: session.schema),
                    partitionBy: session.partitionBy
                ).run()
                for old in rewrite.removed {
                    actions.append(.remove(old.removal(at: now)))
                    readFiles.insert(old.path)
                }
                rewritten = rewrite.added
                actions += rewritten.map { .add($0) }
            }
        }
        actions += session.added.map { .add($0) }
        var commit = DeltaTable.Commit(
            actions: actions, operation: operation, parameters: parameters, readVersion: current?.version ?? -1,
            readFiles: readFiles, transaction: SetTransaction(appId: appId, version: options.transactionVersion))
        commit.readSnapshot = current
        let result: DeltaTable.CommitResult
        do throws(DeltaError) {
            result = try table.commit(commit)
        } catch {
            files.deleteUncommitted(rewritten)
            throw self.error(error)
        }
        if case .alreadyCommitted = result {
            // A commit with this txn landed while this one was prepared: nothing of this one is in the log.
            files.deleteUncommitted(rewritten)
            session.discard(in: files)
            guard let fresh = try loadSnapshot(), let done = fresh.transactionVersion(appId: appId) else { return }
            try checkOwnCommit(fresh, done: done)
        }
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
                    try CommitCodec.decode(data, version: version, table: path)
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

    func abort() {
        session?.discard(in: files)
        session = nil
    }

    func close() {
        if session != nil { abort() }
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
