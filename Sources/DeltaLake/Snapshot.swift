import Foundation

/// The state of a table at one version: protocol, metadata, live files, application transactions.
///
/// Built by replaying commits in order (after the newest usable checkpoint, when a `CheckpointReader` is given):
/// the latest protocol and metadata win, the latest `txn` per appId wins, and `add`/`remove` reconcile by logical
/// file (path and deletion vector): a file whose deletion vector changes is removed with the old vector and added
/// with the new one, in either order within a commit.
public struct Snapshot: Sendable {
    public var version: Int64
    public var protocolAction: ProtocolAction
    public var metadata: MetadataAction
    /// Live data files by path (a path is live with at most one deletion vector).
    public var files: [String: AddFile]
    /// Tombstones by logical file (for VACUUM and time travel: an old deletion vector stays readable).
    public var tombstones: [LogicalFileKey: RemoveFile]
    /// Last committed version per application id.
    public var transactions: [String: SetTransaction]
    /// The table version whose commit last set each application id's transaction.
    public var transactionCommits: [String: Int64] = [:]
    /// Commit timestamps (from commitInfo, else the file) by version, for the versions replayed.
    public var commitTimestamps: [Int64: Int64]
    /// The checkpoint replay started from, or `nil` when every commit was replayed from JSON.
    ///
    /// Transactions read from it record this version in ``transactionCommits``: their commit is at or before it.
    public var checkpointVersion: Int64? = nil
    /// Checkpoints (and a `_last_checkpoint`) found unreadable and passed over, newer than the one replay started
    /// from; each error names its file. Readers that trust the newest checkpoint (delta-rs, Spark) fail on the
    /// table until a newer checkpoint is written, so the next commit writes one whatever the interval.
    public var unreadableCheckpoints: [DeltaError] = []

    public func transactionVersion(appId: String) -> Int64? {
        transactions[appId]?.version
    }

    public var schema: StructType {
        get throws(DeltaError) { try metadata.schema() }
    }

    /// Rows in the table (deleted rows of files with deletion vectors excluded), when every file has statistics.
    public var numRecords: Int64? {
        var total: Int64 = 0
        for f in files.values {
            guard let n = f.liveRecords else { return nil }
            total += n
        }
        return total
    }

    /// Whether any live file has a deletion vector (readers must then apply them).
    public var hasDeletionVectors: Bool { files.values.contains { $0.deletionVector != nil } }

    public var sizeInBytes: Int64 { files.values.reduce(0) { $0 + $1.size } }
}

extension Snapshot {
    /// Loads the snapshot at `version` (the latest when `nil`).
    ///
    /// With a `checkpoints` reader, replay starts at the newest complete checkpoint at or before `version` and
    /// continues with the JSON commits after it; a checkpoint that cannot be read is skipped for an older one
    /// (or for the JSON commits from version 0, when they are all still there). Without one, only JSON commits
    /// are replayed, which needs every commit from version 0.
    /// - Throws: `versionNotFound` for a version past the latest, or one whose commits were cleaned up with no
    ///   checkpoint at or before it; `corruptLog` for gaps and unreadable commits; `unsupportedFeature` for
    ///   protocols and checkpoint kinds (V2) this library does not implement.
    public static func load(
        store: any LogStore, version: Int64? = nil, checkpoints: (any CheckpointReader)? = ParquetCheckpointReader()
    ) throws(DeltaError) -> Snapshot {
        let log = LogListing(names: try store.list("_delta_log"))
        guard let latest = log.latestVersion else {
            throw DeltaError(.notATable, "no Delta log at \(store.root)/_delta_log", table: store.root)
        }
        if let version, version > latest || version < 0 {
            throw DeltaError(
                .versionNotFound, "version \(version) does not exist (latest is \(latest))", table: store.root)
        }
        let target = version ?? latest
        var state = ReplayState()
        if let checkpoints {
            try state.applyCheckpoint(log: log, target: target, reader: checkpoints, store: store)
        } else if log.commits.first != 0, let newest = log.checkpoints.first {
            throw DeltaError(
                .unsupportedFeature,
                "the log starts at a checkpoint (version \(newest.version)) and no checkpoint reader was given",
                table: store.root)
        }
        if state.version < 0 && log.commits.first != 0 {
            let oldest = log.checkpoints.last.map { "; the oldest checkpoint is at version \($0.version)" } ?? ""
            throw DeltaError(
                .versionNotFound,
                "version \(target) cannot be reconstructed: the JSON commits before version "
                    + "\(log.commits.first ?? latest) were cleaned up and no checkpoint at or before version \(target) "
                    + "exists\(oldest)",
                table: store.root)
        }
        var expected = state.version + 1
        for v in log.commits where v > state.version && v <= target {
            if v != expected {
                throw DeltaError(
                    .corruptLog, "the log has a gap: version \(expected) is missing before \(v)", table: store.root)
            }
            guard let data = try store.readCommit(v) else {
                throw DeltaError(.corruptLog, "commit \(v) disappeared while reading", table: store.root)
            }
            for action in try CommitCodec.decode(data, version: v, table: store.root) {
                state.apply(action, version: v)
            }
            state.version = v
            expected = v + 1
        }
        if state.version < target {
            throw DeltaError(
                .versionNotFound, "version \(target) cannot be reconstructed from the log", table: store.root)
        }
        return try state.snapshot(table: store.root)
    }

    /// The latest snapshot, from `previous` and the commits after it: a writer that holds a snapshot reads only
    /// what was committed since, not the log from its last checkpoint again. A full load when those commits are not
    /// all there as JSON (or the log went back, the table being recreated).
    public static func refresh(
        _ previous: Snapshot, store: any LogStore, checkpoints: (any CheckpointReader)? = ParquetCheckpointReader()
    ) throws(DeltaError) -> Snapshot {
        let log = LogListing(names: try store.list("_delta_log"))
        guard let latest = log.latestVersion, latest >= previous.version else {
            return try load(store: store, checkpoints: checkpoints)
        }
        if latest == previous.version { return previous }
        let newer = log.commits.filter { $0 > previous.version && $0 <= latest }
        guard newer.count == latest - previous.version else { return try load(store: store, checkpoints: checkpoints) }
        var state = ReplayState(previous)
        // A checkpoint written since replaces the unreadable ones for every reader.
        if let newest = log.checkpoints.first?.version, newest > previous.version { state.unreadableCheckpoints = [] }
        for v in newer {
            guard let data = try store.readCommit(v) else { return try load(store: store, checkpoints: checkpoints) }
            for action in try CommitCodec.decode(data, version: v, table: store.root) {
                state.apply(action, version: v)
            }
            state.version = v
        }
        return try state.snapshot(table: store.root)
    }
}

struct ReplayState {
    var version: Int64 = -1
    var protocolAction: ProtocolAction?
    var metadata: MetadataAction?
    var files: [String: AddFile] = [:]
    var tombstones: [LogicalFileKey: RemoveFile] = [:]
    var transactions: [String: SetTransaction] = [:]
    var transactionCommits: [String: Int64] = [:]
    var timestamps: [Int64: Int64] = [:]
    var checkpointVersion: Int64?
    var unreadableCheckpoints: [DeltaError] = []

    init() {}

    /// The state `snapshot` was built from, to replay later commits onto.
    init(_ snapshot: Snapshot) {
        version = snapshot.version
        protocolAction = snapshot.protocolAction
        metadata = snapshot.metadata
        files = snapshot.files
        tombstones = snapshot.tombstones
        transactions = snapshot.transactions
        transactionCommits = snapshot.transactionCommits
        timestamps = snapshot.commitTimestamps
        checkpointVersion = snapshot.checkpointVersion
        unreadableCheckpoints = snapshot.unreadableCheckpoints
    }

    /// The snapshot at the replayed version; throws unless the table is one this library can read.
    func snapshot(table: String) throws(DeltaError) -> Snapshot {
        guard let p = protocolAction, let m = metadata else {
            throw DeltaError(.corruptLog, "no protocol or metaData action up to version \(version)", table: table)
        }
        try TableFeatures.checkReadable(p, table: table)
        return Snapshot(
            version: version, protocolAction: p, metadata: m, files: files, tombstones: tombstones,
            transactions: transactions, transactionCommits: transactionCommits, commitTimestamps: timestamps,
            checkpointVersion: checkpointVersion, unreadableCheckpoints: unreadableCheckpoints)
    }

    /// Starts the replay from the best readable checkpoint at or before `target`, if any.
    ///
    /// A checkpoint that fails to read is passed over for the next best, since any complete checkpoint or the
    /// full JSON history gives the same state; it is listed in ``unreadableCheckpoints`` (as is a
    /// `_last_checkpoint` that is not valid JSON), so the table warns and repairs it. A V2 checkpoint is never
    /// passed over: its table needs a feature this library lacks, and an older checkpoint would not make reading it
    /// right.
    mutating func applyCheckpoint(
        log: LogListing, target: Int64, reader: any CheckpointReader, store: any LogStore
    ) throws(DeltaError) {
        var firstFailure: DeltaError?
        let hint = LastCheckpoint.load(from: store)
        if let problem = hint.problem { unreadableCheckpoints.append(problem) }
        for checkpoint in log.checkpoints(atOrBefore: target, hint: hint.hint) {
            if checkpoint.kind == .uuidNamed {
                throw TableFeatures.v2CheckpointRefusal(
                    "checkpoint \(checkpoint.names[0]) is a V2 (UUID-named) checkpoint", table: store.root)
            }
            do throws(DeltaError) {
                var actions: [Action] = []
                for path in checkpoint.paths {
                    actions += try reader.readCheckpoint(path, version: checkpoint.version, store: store)
                }
                for action in actions { apply(action, version: checkpoint.version) }
                version = checkpoint.version
                checkpointVersion = checkpoint.version
                return
            } catch {
                if error.code == .unsupportedFeature { throw error }
                firstFailure = firstFailure ?? error
                unreadableCheckpoints.append(error)
            }
        }
        // Every checkpoint failed: the JSON commits from version 0 are the only other way to the state.
        if let firstFailure, log.commits.first != 0 { throw firstFailure }
    }

    mutating func apply(_ action: Action, version: Int64) {
        switch action {
        case .protocol(let p): protocolAction = p
        case .metadata(let m): metadata = m
        case .add(let a):
            files[a.path] = a
            tombstones[a.logicalKey] = nil
        case .remove(let r):
            // Only the logical file it names: the same path may already be live again with a newer vector.
            if files[r.path]?.logicalKey == r.logicalKey { files[r.path] = nil }
            tombstones[r.logicalKey] = r
        case .txn(let t):
            transactions[t.appId] = t
            transactionCommits[t.appId] = version
        case .commitInfo(let info):
            if let ts = info["timestamp"]?.intValue { timestamps[version] = ts }
        case .other: break
        }
    }
}
