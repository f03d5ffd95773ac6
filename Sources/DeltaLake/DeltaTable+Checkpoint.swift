import Foundation

extension DeltaTable {
    /// What ``commitReporting(_:maxAttempts:)`` did: the commit, and the checkpoint after it.
    public struct CommitReport: Sendable {
        public var result: CommitResult
        public var checkpoint: CheckpointOutcome
    }

    /// Whether a checkpoint followed a commit.
    public enum CheckpointOutcome: Sendable {
        /// The version is not a multiple of the checkpoint interval (or nothing was committed).
        case notDue
        /// The checkpoint was written; `_last_checkpoint` holds this.
        case written(LastCheckpoint)
        /// The checkpoint could not be written; the commit stands.
        case failed(DeltaError)
    }

    /// Writes a checkpoint of `version` (the latest when `nil`) and points `_last_checkpoint` at it.
    ///
    /// A checkpoint is idempotent: writing one again for the same version replaces it with the same state.
    /// - Throws: `io` when the checkpoint cannot be written (the log is unchanged then), or any error of loading
    ///   the snapshot.
    @discardableResult
    public func checkpoint(version: Int64? = nil) throws(DeltaError) -> LastCheckpoint {
        // Loaded without warnings: a checkpoint written now replaces any unreadable one the load passes over.
        let snapshot = try Snapshot.load(store: store, version: version, checkpoints: checkpoints)
        try TableFeatures.checkWritable(snapshot.protocolAction, table: root)
        return try CheckpointWriter(store: store).write(snapshot)
    }

    /// Checkpoints `version` when it is a positive multiple of the table's `delta.checkpointInterval`, or with
    /// `repair` (the newest checkpoint cannot be read, so other readers cannot open the table until a newer one
    /// exists).
    ///
    /// Never throws: the commit is already durable, and failing it now would make a caller retry a commit that
    /// happened.
    func checkpointIfDue(version: Int64, configuration: [String: String], repair: Bool = false) -> CheckpointOutcome {
        let interval = TableProperties.checkpointInterval(configuration)
        guard version > 0, repair || version % interval == 0 else { return .notDue }
        do throws(DeltaError) {
            return .written(try checkpoint(version: version))
        } catch {
            return .failed(
                DeltaError(
                    error.code, "checkpoint at version \(version) not written (the commit stands): \(error.message)",
                    table: error.table ?? root))
        }
    }

    /// The default ``onCheckpointFailure``: one line on standard error.
    @Sendable public static func warnOnStandardError(_ error: DeltaError) {
        FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
    }
}
