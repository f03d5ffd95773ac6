import Foundation

/// The state of a table at one version: protocol, metadata, live files, application transactions.
///
/// Built by replaying commits in order (after the last checkpoint, when a `CheckpointReader` is given): the latest
/// protocol and metadata win, the latest `txn` per appId wins, and `add`/`remove` reconcile by path.
public struct Snapshot: Sendable {
    public var version: Int64
    public var protocolAction: ProtocolAction
    public var metadata: MetadataAction
    /// Live data files by path.
    public var files: [String: AddFile]
    /// Tombstones by path (for VACUUM).
    public var tombstones: [String: RemoveFile]
    /// Last committed version per application id.
    public var transactions: [String: SetTransaction]
    /// The table version whose commit last set each application id's transaction.
    public var transactionCommits: [String: Int64] = [:]
    /// Commit timestamps (from commitInfo, else the file) by version, for the versions replayed.
    public var commitTimestamps: [Int64: Int64]

    public func transactionVersion(appId: String) -> Int64? {
        transactions[appId]?.version
    }

    public var schema: StructType {
        get throws(DeltaError) { try metadata.schema() }
    }

    public var numRecords: Int64? {
        var total: Int64 = 0
        for f in files.values {
            guard let n = f.parsedStats()?.numRecords else { return nil }
            total += n
        }
        return total
    }

    public var sizeInBytes: Int64 { files.values.reduce(0) { $0 + $1.size } }
}

/// Reads the actions of a checkpoint file; supplied by a Parquet-capable layer.
public protocol CheckpointReader: Sendable {
    func readCheckpoint(_ relativePath: String, version: Int64) throws(DeltaError) -> [Action]
}

/// `_delta_log/_last_checkpoint`.
public struct LastCheckpoint: Sendable, Hashable, Codable {
    public var version: Int64
    public var size: Int64
    public var parts: Int?
    public var sizeInBytes: Int64?
    public var numOfAddFiles: Int64?

    public init(version: Int64, size: Int64, parts: Int? = nil, sizeInBytes: Int64? = nil, numOfAddFiles: Int64? = nil)
    {
        self.version = version
        self.size = size
        self.parts = parts
        self.sizeInBytes = sizeInBytes
        self.numOfAddFiles = numOfAddFiles
    }
}

extension Snapshot {
    /// Loads the snapshot at `version` (the latest when `nil`).
    public static func load(
        store: any LogStore, version: Int64? = nil, checkpoints: (any CheckpointReader)? = nil
    ) throws(DeltaError) -> Snapshot {
        let versions = try store.listCommitVersions()
        var start: Int64 = 0
        var state = ReplayState()
        var lastCheckpoint: LastCheckpoint?
        if let data = try store.read("_delta_log/_last_checkpoint") {
            lastCheckpoint = try? JSONDecoder().decode(LastCheckpoint.self, from: data)
        }
        if let cp = lastCheckpoint, cp.version <= (version ?? Int64.max) {
            let firstJSON = versions.first ?? Int64.max
            // Replay from the checkpoint when it is needed (older commits were cleaned up) or when we can read it.
            if let checkpoints {
                let name =
                    "_delta_log/" + String(LocalLogStore.commitName(cp.version).dropLast(5)) + ".checkpoint.parquet"
                for action in try checkpoints.readCheckpoint(name, version: cp.version) {
                    state.apply(action, version: cp.version)
                }
                state.version = cp.version
                start = cp.version + 1
            } else if firstJSON > 0 {
                throw DeltaError(
                    .unsupportedFeature,
                    "the log starts at a checkpoint (version \(cp.version)) and no checkpoint reader was given",
                    table: store.root)
            }
        }
        guard !versions.isEmpty || state.version >= 0 else {
            throw DeltaError(.notATable, "no Delta log at \(store.root)/_delta_log", table: store.root)
        }
        let target = version ?? max(versions.last ?? state.version, state.version)
        if let version, version > (versions.last ?? state.version) {
            throw DeltaError(
                .versionNotFound, "version \(version) does not exist (latest is \(versions.last ?? state.version))",
                table: store.root)
        }
        var expected = start
        for v in versions where v >= start && v <= target {
            if v != expected {
                throw DeltaError(
                    .corruptLog, "the log has a gap: version \(expected) is missing before \(v)", table: store.root)
            }
            guard let data = try store.readCommit(v) else {
                throw DeltaError(.corruptLog, "commit \(v) disappeared while reading", table: store.root)
            }
            for action in try CommitCodec.decode(data, version: v) { state.apply(action, version: v) }
            state.version = v
            expected = v + 1
        }
        if state.version < target {
            throw DeltaError(
                .versionNotFound, "version \(target) cannot be reconstructed from the log", table: store.root)
        }
        guard let p = state.protocolAction, let m = state.metadata else {
            throw DeltaError(
                .corruptLog, "no protocol or metaData action up to version \(state.version)", table: store.root)
        }
        try TableFeatures.checkReadable(p, table: store.root)
        return Snapshot(
            version: state.version, protocolAction: p, metadata: m, files: state.files, tombstones: state.tombstones,
            transactions: state.transactions, transactionCommits: state.transactionCommits,
            commitTimestamps: state.timestamps)
    }
}

struct ReplayState {
    var version: Int64 = -1
    var protocolAction: ProtocolAction?
    var metadata: MetadataAction?
    var files: [String: AddFile] = [:]
    var tombstones: [String: RemoveFile] = [:]
    var transactions: [String: SetTransaction] = [:]
    var transactionCommits: [String: Int64] = [:]
    var timestamps: [Int64: Int64] = [:]

    mutating func apply(_ action: Action, version: Int64) {
        switch action {
        case .protocol(let p): protocolAction = p
        case .metadata(let m): metadata = m
        case .add(let a):
            files[a.path] = a
            tombstones[a.path] = nil
        case .remove(let r):
            files[r.path] = nil
            tombstones[r.path] = r
        case .txn(let t):
            transactions[t.appId] = t
            transactionCommits[t.appId] = version
        case .commitInfo(let info):
            if let ts = info["timestamp"]?.intValue { timestamps[version] = ts }
        case .other: break
        }
    }
}
