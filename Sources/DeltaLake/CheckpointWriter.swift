import Foundation
import Parquet

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `_delta_log/_last_checkpoint`: where the newest checkpoint is, so readers need not search for it.
public struct LastCheckpoint: Sendable, Hashable, Codable {
    public var version: Int64
    /// Actions (rows) in the checkpoint.
    public var size: Int64
    /// Files of a multi-part checkpoint; absent for a single file.
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

    static let path = "_delta_log/_last_checkpoint"

    /// The hint in `store`, or `nil` when it is missing or unreadable (it is only a hint).
    static func read(from store: any LogStore) -> LastCheckpoint? {
        load(from: store).hint
    }

    /// The hint in `store`, and what is wrong with it when it exists but cannot be read: other readers fail on
    /// such a hint, so a table that finds one warns and writes a new one.
    static func load(from store: any LogStore) -> (hint: LastCheckpoint?, problem: DeltaError?) {
        let data: Data?
        do throws(DeltaError) {
            data = try store.read(path)
        } catch {
            return (nil, error)
        }
        guard let data else { return (nil, nil) }
        guard let hint = try? JSONDecoder().decode(LastCheckpoint.self, from: data) else {
            return (nil, DeltaError(.corruptLog, "\(path) is not a valid checkpoint pointer", table: store.root))
        }
        return (hint, nil)
    }
}

/// Writes a classic single-file checkpoint (V1 spec) of a snapshot, then points `_last_checkpoint` at it.
///
/// The checkpoint holds the protocol, the metadata, every live `txn` and `add`, and the `remove` tombstones
/// younger than `delta.deletedFileRetentionDuration`, so VACUUM still keeps the files time travel may need.
/// Both files are written under a temporary name and renamed into place: a reader sees the whole checkpoint or
/// none. Two writers checkpointing the same version write the same state, so whichever rename lands last is
/// fine.
struct CheckpointWriter {
    let store: any LogStore

    /// Rows handed to the Parquet writer at a time (it ends pages of nested columns only between calls).
    private static let rowsPerCall = 2000

    /// - Returns: the `_last_checkpoint` contents describing the new checkpoint.
    /// - Throws: `io` when a file cannot be written; the table's log is unchanged then, but a temporary file
    ///   may be left behind.
    func write(_ snapshot: Snapshot, now: Date = Date()) throws(DeltaError) -> LastCheckpoint {
        let actions = Self.actions(of: snapshot, now: now)
        let relativePath = "_delta_log/" + LogFileName.classicCheckpointName(snapshot.version)
        let codec = TableProperties.checkpointCodec(snapshot.metadata.configuration)
        let bytes: Int64
        if let final = store.localPath(relativePath) {
            let temp = (final as NSString).deletingLastPathComponent + "/.tmp-checkpoint-\(UUID().uuidString).parquet"
            bytes = try writeParquet(actions, to: temp, codec: codec)
            if rename(temp, final) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(temp)
                throw DeltaError(.io, "cannot move the checkpoint into \(relativePath): \(reason)", table: store.root)
            }
        } else {
            let temp = LocalCopy.temporaryPath(for: relativePath)
            defer { try? FileManager.default.removeItem(atPath: temp) }
            bytes = try writeParquet(actions, to: temp, codec: codec)
            guard let data = FileManager.default.contents(atPath: temp) else {
                throw DeltaError(.io, "cannot read back the checkpoint written to \(temp)", table: store.root)
            }
            try store.write(relativePath, data)
        }
        let adds = actions.reduce(into: Int64(0)) { count, action in if case .add = action { count += 1 } }
        let last = LastCheckpoint(
            version: snapshot.version, size: Int64(actions.count), sizeInBytes: bytes, numOfAddFiles: adds)
        try writeHint(last)
        return last
    }

    /// The actions a checkpoint of `snapshot` holds, in a fixed order so equal states give equal files.
    static func actions(of snapshot: Snapshot, now: Date) -> [Action] {
        let retention = TableProperties.deletedFileRetention(snapshot.metadata.configuration)
        let cutoff = Int64((now.timeIntervalSince1970 - retention) * 1000)
        var actions: [Action] = [.protocol(snapshot.protocolAction), .metadata(snapshot.metadata)]
        actions += snapshot.transactions.values.sorted { $0.appId < $1.appId }.map(Action.txn)
        actions += snapshot.files.values.sorted { $0.path < $1.path }.map(Action.add)
        // A tombstone without a deletion timestamp counts as deleted at the epoch: long expired.
        actions += snapshot.tombstones.values.filter { ($0.deletionTimestamp ?? 0) > cutoff }
            .sorted { ($0.path, $0.deletionVector?.uniqueId ?? "") < ($1.path, $1.deletionVector?.uniqueId ?? "") }
            .map(Action.remove)
        return actions
    }

    private func writeParquet(_ actions: [Action], to path: String, codec: Codec) throws(DeltaError) -> Int64 {
        // One thread: checkpoints are small, and they are written inside commits that may run side by side.
        let options = WriterOptions(codec: codec, createdBy: "ferry-delta (ferry-parquet version 0.1)", threads: 1)
        do throws(ParquetError) {
            let writer = try ParquetWriter(path: path, nodes: CheckpointSchema.nodes, options: options)
            let rows = actions.compactMap(CheckpointSchema.row)
            for start in stride(from: 0, to: rows.count, by: Self.rowsPerCall) {
                try writer.write(rows: Array(rows[start..<min(start + Self.rowsPerCall, rows.count)]))
            }
            return Int64(try writer.close().fileSize)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw DeltaError(.io, "cannot write a checkpoint to \(path): \(error.message)", table: store.root)
        }
    }

    /// Points `_last_checkpoint` at `last`, unless it already names a newer checkpoint (a racing writer's).
    private func writeHint(_ last: LastCheckpoint) throws(DeltaError) {
        if let current = LastCheckpoint.read(from: store), current.version > last.version { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(last)
        } catch {
            throw DeltaError(.io, "cannot encode _last_checkpoint: \(error)", table: store.root)
        }
        try store.write(LastCheckpoint.path, data)
    }
}
