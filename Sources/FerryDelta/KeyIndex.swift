import DeltaLake
import FerryCore
import Foundation

/// Where each integer key of a table lives: per data file, its keys in ascending order with their row positions.
///
/// A change batch finds the rows it replaces by binary search instead of reading every file's key column again.
/// A file's entry is built from its key column the first time a batch needs it and kept while the file is live
/// (data files never change; deletion vectors are applied at lookup). Entries cost 12 bytes a row; past
/// `budgetBytes` further files are not kept and are scanned per batch instead.
final class KeyIndex: @unchecked Sendable {
    struct FileKeys: Sendable {
        /// Every row's key (NULLs left out), ascending; rows a deletion vector removed are still here.
        var keys: [Int64]
        /// `rows[i]` is the position in the file of the row holding `keys[i]`.
        var rows: [UInt32]

        var bytes: Int { keys.count * 12 }

        /// The rows holding one of `sorted` (ascending, distinct), by binary search when the batch is small
        /// against the file, by one merge walk otherwise.
        func rows(matching sorted: [Int64]) -> [Int] {
            var out: [Int] = []
            guard let first = keys.first, let last = keys.last else { return out }
            let lo = MergeRewriter.firstIndex(in: sorted) { $0 >= first }
            let hi = MergeRewriter.firstIndex(in: sorted) { $0 > last }
            guard lo < hi else { return out }
            let wanted = sorted[lo..<hi]
            if wanted.count * 24 < keys.count {
                for key in wanted {
                    var i = MergeRewriter.firstIndex(in: keys) { $0 >= key }
                    while i < keys.count && keys[i] == key {
                        out.append(Int(rows[i]))
                        i += 1
                    }
                }
            } else {
                var i = 0
                var j = wanted.startIndex
                while i < keys.count && j < wanted.endIndex {
                    if keys[i] < wanted[j] {
                        i += 1
                    } else if keys[i] > wanted[j] {
                        j += 1
                    } else {
                        out.append(Int(rows[i]))
                        i += 1
                    }
                }
            }
            return out
        }
    }

    /// Memory the index may keep; 12 bytes a row, so 256 MiB covers tables of about 22 million rows.
    let budgetBytes: Int
    private let lock = NSLock()
    private var files: [String: FileKeys] = [:]
    private var bytes = 0

    init(budgetBytes: Int = 256 << 20) {
        self.budgetBytes = budgetBytes
    }

    /// The keys of `file`, read from its `column` when not indexed yet.
    func keys(of file: AddFile, column: Column, writer: DeltaTableWriter) throws(FerryError) -> FileKeys {
        if let known = lock.withLock({ files[file.path] }) { return known }
        let reader = try DataFileReader(file, writer: writer)
        var pairs: [(key: Int64, row: UInt32)] = []
        pairs.reserveCapacity(reader.rowGroupStarts.last ?? 0)
        for rg in 0..<reader.rowGroupCount {
            let vector = try reader.readRowGroup(rg, columns: [column]).vectors[0]
            guard case .int64(let values) = vector.values else {
                throw FerryError(
                    .integrity, "key column \(column.name) of \(file.path) does not read as integers",
                    table: writer.label)
            }
            let start = reader.rowGroupStarts[rg]
            for r in values.indices where !vector.isNull(r) {
                pairs.append((values[r], UInt32(truncatingIfNeeded: start + r)))
            }
        }
        // Files written in key order (initial loads of serial keys) need no sort.
        if !zip(pairs, pairs.dropFirst()).allSatisfy({ $0.key <= $1.key }) { pairs.sort { $0.key < $1.key } }
        let entry = FileKeys(keys: pairs.map(\.key), rows: pairs.map(\.row))
        lock.withLock {
            if bytes + entry.bytes <= budgetBytes, files[file.path] == nil {
                files[file.path] = entry
                bytes += entry.bytes
            }
        }
        return entry
    }

    /// Forgets files that are no longer live.
    func retain(paths: Set<String>) {
        lock.withLock {
            for (path, entry) in files where !paths.contains(path) {
                files[path] = nil
                bytes -= entry.bytes
            }
        }
    }
}
