import Foundation

/// Deletes data files a table no longer references, once they are older than the retention period.
///
/// Readers doing time travel to a version inside the retention period still find their files: a file is deleted
/// only when it is not in the current snapshot, and both its removal (tombstone) and its modification time are
/// older than the retention. Deletion vector files follow the files that use them.
public struct Vacuum: Sendable {
    public let table: DeltaTable
    public var retention: TimeInterval

    public init(table: DeltaTable, retention: TimeInterval = 7 * 24 * 3600) {
        self.table = table
        self.retention = retention
    }

    /// The files `run` would delete, relative to the table root.
    public func plan(now: Date = Date()) throws(DeltaError) -> [String] {
        let snapshot = try table.snapshot()
        var live = Set(snapshot.files.keys.map { $0.removingPercentEncoding ?? $0 })
        live.formUnion(snapshot.files.values.compactMap { $0.deletionVector?.relativeFilePath })
        let cutoff = now.addingTimeInterval(-retention)
        let cutoffMillis = Int64(cutoff.timeIntervalSince1970 * 1000)
        var recentlyRemoved = Set<String>()
        for tombstone in snapshot.tombstones.values where (tombstone.deletionTimestamp ?? 0) > cutoffMillis {
            recentlyRemoved.insert(tombstone.path.removingPercentEncoding ?? tombstone.path)
            if let vector = tombstone.deletionVector?.relativeFilePath { recentlyRemoved.insert(vector) }
        }
        let root = table.root
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let item = walker.nextObject() as? String {
            if item.hasPrefix("_delta_log")
                || item.split(separator: "/").contains(where: { $0.hasPrefix(".") || $0.hasPrefix("_") })
            {
                continue
            }
            let full = root + "/" + item
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            if live.contains(item) || recentlyRemoved.contains(item) { continue }
            let modified = (try? FileManager.default.attributesOfItem(atPath: full)[.modificationDate] as? Date) ?? now
            if modified < cutoff { out.append(item) }
        }
        return out.sorted()
    }

    /// Deletes what `plan` lists; returns the deleted paths.
    @discardableResult
    public func run(now: Date = Date()) throws(DeltaError) -> [String] {
        let files = try plan(now: now)
        for f in files {
            do {
                try FileManager.default.removeItem(atPath: table.root + "/" + f)
            } catch {
                throw DeltaError(.io, "cannot delete \(f): \(error)", table: table.root)
            }
        }
        return files
    }
}
