import DeltaLake
import FerryCore
import Foundation

/// Where each key of a table lives: per data file, its keys in ascending order with their row positions.
///
/// A change batch finds the rows it replaces by binary search instead of reading every file's key columns again.
/// A file's entry is built from its key columns the first time a batch needs it and kept while the file is live
/// (data files never change; deletion vectors are applied at lookup). `Key` is the integer itself for a single
/// integer key column (12 bytes a row), or a `KeyDigest` of any other key (20 bytes a row); past `budgetBytes`
/// further files are not kept and are read again per batch instead.
final class KeyIndex<Key: Comparable & Sendable>: @unchecked Sendable {
    struct FileKeys: Sendable {
        /// Every row's key (NULLs left out), ascending; rows a deletion vector removed are still here.
        var keys: [Key]
        /// `rows[i]` is the position in the file of the row holding `keys[i]`.
        var rows: [UInt32]

        var bytes: Int { keys.count * (MemoryLayout<Key>.stride + 4) }

        /// The rows holding one of `sorted` (ascending, distinct), by binary search when the batch is small
        /// against the file, by one merge walk otherwise.
        func rows(matching sorted: [Key]) -> [Int] {
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

    /// Memory the index may keep: 256 MiB covers about 22 million integer keys, 13 million others.
    let budgetBytes: Int
    private let lock = NSLock()
    private var files: [String: FileKeys] = [:]
    private var bytes = 0

    init(budgetBytes: Int = 256 << 20) {
        self.budgetBytes = budgetBytes
    }

    /// The keys of `file`, from `read` (each non-NULL key with its row position) when not indexed yet.
    func keys(
        of file: AddFile, read: () throws(FerryError) -> [(key: Key, row: UInt32)]
    ) throws(FerryError) -> FileKeys {
        if let known = lock.withLock({ files[file.path] }) { return known }
        var pairs = try read()
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

extension KeyIndex where Key == Int64 {
    /// The keys of `file` from its integer key `column`.
    func keys(of file: AddFile, column: Column, table: DeltaTableFiles) throws(FerryError) -> FileKeys {
        try keys(of: file) { () throws(FerryError) -> [(key: Int64, row: UInt32)] in
            let reader = try DataFileReader(file, table: table)
            var pairs: [(key: Int64, row: UInt32)] = []
            pairs.reserveCapacity(reader.rowGroupStarts.last ?? 0)
            for rg in 0..<reader.rowGroupCount {
                let vector = try reader.readRowGroup(rg, columns: [column]).vectors[0]
                guard case .int64(let values) = vector.values else {
                    throw FerryError(
                        .integrity, "key column \(column.name) of \(file.path) does not read as integers",
                        table: table.label)
                }
                let start = reader.rowGroupStarts[rg]
                for r in values.indices where !vector.isNull(r) {
                    pairs.append((values[r], UInt32(truncatingIfNeeded: start + r)))
                }
            }
            return pairs
        }
    }
}

extension KeyIndex where Key == KeyDigest {
    /// The digests of `file`'s keys, read from its key `columns` (in key order).
    func keys(of file: AddFile, columns: [Column], table: DeltaTableFiles) throws(FerryError) -> FileKeys {
        try keys(of: file) { () throws(FerryError) -> [(key: KeyDigest, row: UInt32)] in
            let reader = try DataFileReader(file, table: table)
            let indexes = Array(columns.indices)
            var pairs: [(key: KeyDigest, row: UInt32)] = []
            pairs.reserveCapacity(reader.rowGroupStarts.last ?? 0)
            for rg in 0..<reader.rowGroupCount {
                let batch = try reader.readRowGroup(rg, columns: columns)
                let start = reader.rowGroupStarts[rg]
                for r in 0..<batch.rowCount where !indexes.contains(where: { batch.vectors[$0].isNull(r) }) {
                    let key = MergeRewriter.key(of: batch, row: r, at: indexes)
                    pairs.append((KeyDigest(key), UInt32(truncatingIfNeeded: start + r)))
                }
            }
            return pairs
        }
    }
}

/// 128 bits standing for a key of any columns and types: two SipHash values (the standard library's `Hasher`,
/// seeded at random per process) of the key's values. Two different keys of a table share a digest with a
/// probability around n² / 2¹²⁹ (about 10⁻²⁵ for 10 million keys), far below the odds of a memory error; the
/// digests live in memory only, so the per-process seed is all they need.
struct KeyDigest: Comparable, Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    init(_ key: [ScalarValue]) {
        var first = Hasher()
        first.combine(0x5A as UInt8)
        first.combine(key)
        var second = Hasher()
        second.combine(0xA5 as UInt8)
        second.combine(key)
        high = UInt64(bitPattern: Int64(first.finalize()))
        low = UInt64(bitPattern: Int64(second.finalize()))
    }

    static func < (a: KeyDigest, b: KeyDigest) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
