import Foundation

/// A Delta table: reads snapshots and commits new versions with optimistic concurrency.
///
/// Every `checkpointInterval`-th commit (table property `delta.checkpointInterval`, default 10) is followed by a
/// checkpoint, so readers replay a checkpoint and a few commits instead of the whole log.
public struct DeltaTable: Sendable {
    public let store: any LogStore
    /// Reads checkpoints when loading snapshots; `nil` replays JSON commits only.
    public var checkpoints: (any CheckpointReader)?
    /// Written in every commitInfo, e.g. `ferry/0.1.0`.
    public var engineInfo: String
    /// Told when a checkpoint due after a commit could not be written, or when loading a snapshot passed over a
    /// checkpoint it could not read (see ``Snapshot/unreadableCheckpoints``); by default, a line on standard error.
    ///
    /// Neither fails anything: a checkpoint only speeds up reading, the next interval writes a new one, and the
    /// next commit after an unreadable one writes a good one in its place.
    public var onCheckpointFailure: @Sendable (DeltaError) -> Void = DeltaTable.warnOnStandardError

    public init(
        store: any LogStore, checkpoints: (any CheckpointReader)? = ParquetCheckpointReader(), engineInfo: String
    ) {
        self.store = store
        self.checkpoints = checkpoints
        self.engineInfo = engineInfo
    }

    public var root: String { store.root }

    /// Whether the table has at least one commit (or a checkpoint, once early commits were cleaned up).
    public func exists() throws(DeltaError) -> Bool {
        LogListing(names: try store.list("_delta_log")).latestVersion != nil
    }

    /// The snapshot at `version` (the latest when `nil`); unreadable checkpoints passed over on the way go to
    /// ``onCheckpointFailure``.
    public func snapshot(version: Int64? = nil) throws(DeltaError) -> Snapshot {
        let snapshot = try Snapshot.load(store: store, version: version, checkpoints: checkpoints)
        warnAboutUnreadableCheckpoints(snapshot)
        return snapshot
    }

    /// The latest snapshot, reading only the commits after `previous` (see ``Snapshot/refresh(_:store:checkpoints:)``).
    public func snapshot(refreshing previous: Snapshot) throws(DeltaError) -> Snapshot {
        let snapshot = try Snapshot.refresh(previous, store: store, checkpoints: checkpoints)
        // Told once: when `previous` held them, its loading told already.
        if previous.unreadableCheckpoints.isEmpty { warnAboutUnreadableCheckpoints(snapshot) }
        return snapshot
    }

    private func warnAboutUnreadableCheckpoints(_ snapshot: Snapshot) {
        for problem in snapshot.unreadableCheckpoints {
            onCheckpointFailure(
                DeltaError(
                    problem.code,
                    "\(problem.message); it was passed over and the table read from its JSON commits, and the next "
                        + "commit writes a new checkpoint so that other readers (delta-rs, Spark) can open the table",
                    table: problem.table ?? root))
        }
    }

    /// Creates the table at version 0 with the lowest protocol its schema needs.
    @discardableResult
    public func create(
        schema: StructType, partitionColumns: [String] = [], configuration: [String: String] = [:], name: String? = nil
    ) throws(DeltaError) -> Int64 {
        for p in partitionColumns where schema.field(named: p) == nil {
            throw DeltaError(.schema, "partition column \(p) is not in the schema", table: root)
        }
        let now = Self.now()
        let actions: [Action] = [
            .commitInfo(
                commitInfo(
                    operation: "CREATE TABLE", parameters: ["partitionBy": .string(Self.jsonArray(partitionColumns))],
                    timestamp: now)),
            .protocol(TableFeatures.minimalProtocol(for: schema)),
            .metadata(
                MetadataAction(
                    name: name, schemaString: schema.json, partitionColumns: partitionColumns,
                    configuration: configuration,
                    createdTime: now)),
        ]
        try store.writeCommit(0, try CommitCodec.encode(actions))
        return 0
    }

    /// What a commit changes and what it read, for conflict detection.
    public struct Commit: Sendable {
        public var actions: [Action]
        public var operation: String
        public var parameters: [String: JSONValue]
        /// The snapshot version the commit was prepared against.
        public var readVersion: Int64
        /// Data files whose content the commit depends on (files it removes or rewrites).
        public var readFiles: Set<String>
        /// When set, a commit whose appId already reached this version is skipped (exactly once).
        public var transaction: SetTransaction?
        /// The snapshot at `readVersion`, when the writer holds it: the commit then checks against it instead of
        /// reading the log again.
        public var readSnapshot: Snapshot?

        public init(
            actions: [Action], operation: String, parameters: [String: JSONValue] = [:], readVersion: Int64,
            readFiles: Set<String> = [], transaction: SetTransaction? = nil
        ) {
            self.actions = actions
            self.operation = operation
            self.parameters = parameters
            self.readVersion = readVersion
            self.readFiles = readFiles
            self.transaction = transaction
        }

        var removesData: Bool { actions.contains { if case .remove = $0 { return true } else { return false } } }
        var changesMetadata: Bool {
            actions.contains {
                switch $0 {
                case .metadata, .protocol: return true
                default: return false
                }
            }
        }
    }

    /// The result of `commit`.
    public enum CommitResult: Sendable, Equatable {
        case committed(version: Int64)
        /// The transaction's appId had already committed this version (or a later one): nothing was written.
        case alreadyCommitted(tableVersion: Int64)
    }

    /// Commits `commit` as the next version; on a lost race, checks the winners for logical conflicts and retries.
    /// Writes a checkpoint after it when one is due (see ``commitReporting(_:maxAttempts:)``); a checkpoint that
    /// fails goes to ``onCheckpointFailure`` and never fails the commit.
    ///
    /// A `readVersion` of -1 creates the table: the actions must then include `protocol` and `metaData`, and the
    /// commit fails if another writer created the table first.
    public func commit(_ commit: Commit, maxAttempts: Int = 10) throws(DeltaError) -> CommitResult {
        let report = try commitReporting(commit, maxAttempts: maxAttempts)
        if case .failed(let error) = report.checkpoint { onCheckpointFailure(error) }
        return report.result
    }

    /// Commits `commit` like ``commit(_:maxAttempts:)`` and reports the checkpoint that followed it.
    public func commitReporting(_ commit: Commit, maxAttempts: Int = 10) throws(DeltaError) -> CommitReport {
        let (result, configuration, repair) = try write(commit, maxAttempts: maxAttempts)
        guard case .committed(let version) = result else { return CommitReport(result: result, checkpoint: .notDue) }
        return CommitReport(
            result: result, checkpoint: checkpointIfDue(version: version, configuration: configuration, repair: repair))
    }

    /// Writes the commit; returns its result, the table configuration in force after it, and whether the
    /// snapshot it read passed over unreadable checkpoints (a new one is then due at once).
    private func write(
        _ commit: Commit, maxAttempts: Int
    ) throws(DeltaError) -> (CommitResult, configuration: [String: String], repair: Bool) {
        var ownConfiguration: [String: String]?
        for case .metadata(let m) in commit.actions { ownConfiguration = m.configuration }
        var configuration = ownConfiguration ?? [:]
        if commit.readVersion < 0 {
            var actions: [Action] = [
                .commitInfo(
                    commitInfo(operation: commit.operation, parameters: commit.parameters, timestamp: Self.now()))
            ]
            actions += commit.actions
            if let txn = commit.transaction {
                actions.append(.txn(SetTransaction(appId: txn.appId, version: txn.version, lastUpdated: Self.now())))
            }
            do throws(DeltaError) {
                try store.writeCommit(0, try CommitCodec.encode(actions))
            } catch {
                guard error.code == .versionAlreadyExists else { throw error }
                throw DeltaError(
                    .concurrentModification, "another writer created the table at the same time; run again", table: root
                )
            }
            return (.committed(version: 0), configuration, false)
        }
        var version = commit.readVersion + 1
        let snapshotAtRead =
            if let held = commit.readSnapshot, held.version == commit.readVersion {
                held
            } else {
                try Snapshot.load(store: store, version: commit.readVersion, checkpoints: checkpoints)
            }
        configuration = ownConfiguration ?? snapshotAtRead.metadata.configuration
        let repair = !snapshotAtRead.unreadableCheckpoints.isEmpty
        try TableFeatures.checkWritable(snapshotAtRead.protocolAction, table: root)
        if let txn = commit.transaction, let done = snapshotAtRead.transactionVersion(appId: txn.appId),
            done >= txn.version
        {
            return (.alreadyCommitted(tableVersion: snapshotAtRead.version), configuration, repair)
        }
        if snapshotAtRead.metadata.configuration["delta.appendOnly"] == "true" && commit.removesData {
            throw DeltaError(
                .unsupportedFeature,
                "the table is append-only (delta.appendOnly=true); it cannot be replaced or merged", table: root)
        }
        for attempt in 1...maxAttempts {
            var actions: [Action] = [
                .commitInfo(
                    commitInfo(
                        operation: commit.operation, parameters: commit.parameters, timestamp: Self.now(),
                        readVersion: commit.readVersion))
            ]
            actions += commit.actions
            if let txn = commit.transaction {
                actions.append(.txn(SetTransaction(appId: txn.appId, version: txn.version, lastUpdated: Self.now())))
            }
            do throws(DeltaError) {
                try store.writeCommit(version, try CommitCodec.encode(actions))
                return (.committed(version: version), configuration, repair)
            } catch {
                guard error.code == .versionAlreadyExists && attempt < maxAttempts else { throw error }
                // Someone else won `version`: look at what they did before trying the next one.
                guard let data = try store.readCommit(version) else { continue }
                let winner = try CommitCodec.decode(data, version: version, table: root)
                if let conflict = conflict(of: commit, with: winner) {
                    if case .alreadyCommitted = conflict {
                        return (.alreadyCommitted(tableVersion: version), configuration, repair)
                    }
                    if case .conflict(let message) = conflict {
                        throw DeltaError(
                            .concurrentModification, "version \(version) by another writer \(message); run again",
                            table: root)
                    }
                }
                version += 1
            }
        }
        throw DeltaError(
            .concurrentModification,
            "gave up after \(maxAttempts) attempts: other writers committed each version first; run again, and if "
                + "this keeps happening, let fewer writers commit to this table at once", table: root)
    }

    enum Conflict {
        case alreadyCommitted
        case conflict(String)
    }

    func conflict(of commit: Commit, with winner: [Action]) -> Conflict? {
        var winnerAddsData = false
        for action in winner {
            switch action {
            case .txn(let t):
                if let mine = commit.transaction, t.appId == mine.appId, t.version >= mine.version {
                    return .alreadyCommitted
                }
            case .metadata, .protocol:
                return .conflict("changed the table's schema or protocol")
            case .remove(let r):
                if commit.readFiles.contains(r.path) {
                    return .conflict("removed file \(r.path), which this commit read")
                }
                if commit.actions.contains(where: {
                    if case .remove(let mine) = $0 { return mine.path == r.path } else { return false }
                }) {
                    return .conflict("removed file \(r.path) too")
                }
            case .add(let a) where a.dataChange:
                winnerAddsData = true
            default:
                break
            }
        }
        if commit.changesMetadata { return .conflict("committed while this commit changes the schema") }
        if commit.removesData && winnerAddsData { return .conflict("added data while this commit replaces or merges") }
        return nil
    }

    func commitInfo(
        operation: String, parameters: [String: JSONValue], timestamp: Int64, readVersion: Int64? = nil
    )
        -> [String: JSONValue]
    {
        var info: [String: JSONValue] = [
            "timestamp": .int(timestamp), "operation": .string(operation), "operationParameters": .object(parameters),
            "engineInfo": .string(engineInfo), "isBlindAppend": .bool(false),
        ]
        if let readVersion { info["readVersion"] = .int(readVersion) }
        return info
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func jsonArray(_ items: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: items)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
