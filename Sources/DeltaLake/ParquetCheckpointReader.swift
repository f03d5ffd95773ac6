import Foundation
import Parquet

/// Reads the actions of one checkpoint file.
///
/// A protocol so that tests (and stores whose checkpoints live elsewhere) can supply their own; the library's
/// own is ``ParquetCheckpointReader``.
public protocol CheckpointReader: Sendable {
    /// The actions of the checkpoint file (or one part of a multi-part checkpoint) at `relativePath`.
    /// - Throws: `corruptLog` when the file is not a readable checkpoint; `unsupportedFeature` for V2 ones.
    func readCheckpoint(_ relativePath: String, version: Int64, store: any LogStore) throws(DeltaError) -> [Action]
}

/// Reads classic and multi-part (V1 spec) Parquet checkpoints, whoever wrote them.
///
/// Only the action columns are read (`add`, `remove`, `metaData`, `protocol`, `txn`); anything else a writer
/// stored (`commitInfo`, `cdc`, `domainMetadata`, ...) is skipped. A checkpoint following the V2 spec (one holding
/// `checkpointMetadata` or `sidecar` rows) is refused: its file actions may live in sidecar files, and reading it
/// as V1 would silently lose them.
public struct ParquetCheckpointReader: CheckpointReader {
    /// Threads that decode columns; 0 means one per CPU.
    public var threads: Int

    public init(threads: Int = 0) {
        self.threads = threads
    }

    static let actionColumns = ["add", "remove", "metaData", "protocol", "txn"]
    static let v2Columns = ["checkpointMetadata", "sidecar"]

    public func readCheckpoint(
        _ relativePath: String, version: Int64, store: any LogStore
    ) throws(DeltaError) -> [Action] {
        try LocalCopy.withFile(relativePath, in: store) { (path) throws(DeltaError) in
            try read(path, relativePath: relativePath, version: version, table: store.root)
        }
    }

    private func read(
        _ path: String, relativePath: String, version: Int64, table: String
    ) throws(DeltaError) -> [Action] {
        /// Runs a Parquet call, reporting its failure as an unreadable checkpoint.
        func parquet<T>(_ body: () throws(ParquetError) -> T) throws(DeltaError) -> T {
            do throws(ParquetError) {
                return try body()
            } catch {
                throw DeltaError(
                    .corruptLog, "checkpoint \(relativePath) (version \(version)) cannot be read: \(error.message)",
                    table: table)
            }
        }
        let reader = try parquet { () throws(ParquetError) in try ParquetReader(path: path, threads: threads) }
        let present = Set(reader.nodes.map(\.name))
        let v2 = Self.v2Columns.filter(present.contains)
        for group in 0..<reader.rowGroupCount where !v2.isEmpty {
            let rows = try parquet { () throws(ParquetError) in try reader.readRows(rowGroup: group, columns: v2) }
            if rows.contains(where: { $0.contains { $0 != .null } }) {
                throw TableFeatures.v2CheckpointRefusal(
                    "checkpoint \(relativePath) follows the V2 checkpoint spec", table: table)
            }
        }
        let columns = Self.actionColumns.filter(present.contains)
        let decoder = CheckpointDecoder(nodes: reader.nodes, context: "checkpoint \(relativePath)", table: table)
        var actions: [Action] = []
        actions.reserveCapacity(reader.numRows)
        for group in 0..<reader.rowGroupCount where !columns.isEmpty {
            let rows = try parquet { () throws(ParquetError) in try reader.readRows(rowGroup: group, columns: columns) }
            for row in rows {
                if let action = try decoder.action(row, columns: columns) { actions.append(action) }
            }
        }
        return actions
    }
}

/// A file of a store as a local path: the file itself on a local store, else a temporary copy.
enum LocalCopy {
    static func withFile<T>(
        _ relativePath: String, in store: any LogStore, _ body: (String) throws(DeltaError) -> T
    ) throws(DeltaError) -> T {
        if let path = store.localPath(relativePath) {
            guard FileManager.default.fileExists(atPath: path) else {
                throw DeltaError(.corruptLog, "\(relativePath) disappeared while reading", table: store.root)
            }
            return try body(path)
        }
        guard let data = try store.read(relativePath) else {
            throw DeltaError(.corruptLog, "\(relativePath) disappeared while reading", table: store.root)
        }
        let temp = temporaryPath(for: relativePath)
        defer { try? FileManager.default.removeItem(atPath: temp) }
        do {
            try data.write(to: URL(fileURLWithPath: temp))
        } catch {
            throw DeltaError(.io, "cannot copy \(relativePath) to \(temp): \(error)", table: store.root)
        }
        return try body(temp)
    }

    /// A fresh path in the system's temporary directory.
    static func temporaryPath(for relativePath: String) -> String {
        let name = (relativePath as NSString).lastPathComponent
        return NSTemporaryDirectory() + "/delta-\(UUID().uuidString.prefix(8))-\(name)"
    }
}
