import DeltaLake
import FerryCore
import Foundation

/// Keeps a merge-on-read table cheap to read: the small files change batches add are combined, and files whose
/// deletion vectors removed most of their rows are rewritten without them.
///
/// A compaction commit moves rows, never changes them (`dataChange: false` on every action, no `txn`), so a crash
/// at any point leaves the table as it was; files it wrote and did not commit are never read (vacuum deletes them).
extension DeltaTableWriter {
    /// Files below this size are small: 4 MiB (or a quarter of the target size, if lower). Larger files are left
    /// alone, so a compaction (which runs between batches) rewrites at most about ten times this, keeping the
    /// latency it adds to a change stream under a second.
    var smallFileBytes: Int64 { Int64(min(options.targetFileBytes / 4, 4 << 20)) }
    /// Small files of one size tier (or below) tolerated before they are combined.
    static let smallFilesBeforeCompaction = 10

    /// The size tier of a small file: 0 below 1 MiB, then one per factor of 4.
    ///
    /// Files are combined with those of their tier and below, so a row is rewritten about once per tier on its
    /// way to a full-size file, not at every compaction (a combined file is itself small for a while).
    static func tier(_ size: Int64) -> Int {
        var tier = 0
        var bound: Int64 = 1 << 20
        while size >= bound {
            tier += 1
            bound <<= 2
        }
        return tier
    }
    /// A file whose deletion vector removes at least this share of its rows is rewritten.
    static let deletedShareBeforeRewrite = 0.5

    /// The files a compaction would rewrite now, or `[]` when none is due.
    func compactionCandidates(_ snapshot: Snapshot) -> [AddFile] {
        var heavy: [AddFile] = []
        var small: [AddFile] = []
        for file in snapshot.files.values {
            if let dv = file.deletionVector, let total = file.parsedStats()?.numRecords, total > 0,
                Double(dv.cardinality) >= Double(total) * Self.deletedShareBeforeRewrite
            {
                heavy.append(file)
            } else if file.size < smallFileBytes {
                small.append(file)
            }
        }
        // The lowest tier at which ten files of that tier or below exist; those are combined.
        let tiers = small.map { Self.tier($0.size) }
        let chosen = Set(tiers).sorted().first { t in tiers.filter { $0 <= t }.count >= Self.smallFilesBeforeCompaction
        }
        small = chosen.map { t in small.filter { Self.tier($0.size) <= t } } ?? []
        return (heavy + small).sorted { $0.path < $1.path }
    }

    /// Compacts the table when `compactionCandidates` finds work; returns the files it replaced.
    @discardableResult
    func compactIfDue() throws(FerryError) -> Int {
        guard let snapshot = try loadSnapshot() else { return 0 }
        let candidates = compactionCandidates(snapshot)
        guard !candidates.isEmpty else { return 0 }
        let existing = try tableSchema(of: snapshot)
        let output = files.makeFiles(columns: existing.columns, partitionBy: snapshot.metadata.partitionColumns)
        var added: [AddFile] = []
        do throws(FerryError) {
            for file in candidates {
                let reader = try DataFileReader(file, table: files)
                for rg in 0..<reader.rowGroupCount {
                    let batch = try reader.readLiveRowGroup(rg, columns: existing.columns)
                    if batch.rowCount > 0 { added += try output.write(batch) }
                }
            }
            added += try output.finish()
            added = added.map { file in
                var moved = file
                moved.dataChange = false
                return moved
            }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let actions: [Action] =
                candidates.map { .remove($0.removal(at: now, dataChange: false)) } + added.map { .add($0) }
            var commit = DeltaTable.Commit(
                actions: actions, operation: "OPTIMIZE",
                parameters: [
                    "reason": .string("ferry merge-on-read compaction"),
                    "filesRemoved": .string(String(candidates.count)), "filesAdded": .string(String(added.count)),
                ], readVersion: snapshot.version, readFiles: Set(candidates.map(\.path)))
            commit.readSnapshot = snapshot
            do throws(DeltaError) {
                // No `txn`, so the commit cannot be found already done; should it ever be, its files go.
                if case .alreadyCommitted = try table.commit(commit) { files.deleteUncommitted(added) }
            } catch {
                throw self.error(error)
            }
        } catch {
            output.discard()
            files.deleteUncommitted(added)
            throw error
        }
        return candidates.count
    }
}
