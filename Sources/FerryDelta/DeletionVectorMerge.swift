import DeltaLake
import FerryCore
import Foundation
import Parquet

/// Merge-on-read: a change set's replaced and deleted rows are marked in their files' deletion vectors, and only
/// the new rows are written, so a batch costs its own size instead of the size of every file it touches.
///
/// Each touched file is removed with its old vector and added again with the new one (old rows plus this batch's),
/// all vectors of a batch in one `deletion_vector_<uuid>.bin`.
struct DeletionVectorMerge {
    let table: DeltaTableFiles
    let snapshot: Snapshot
    /// Every column of the table, as files are written.
    let columns: [Column]
    let keyColumns: [String]

    /// The live rows holding the batch's keys, per file path, and the unchanged (TOAST) values taken from them.
    struct Located {
        var rows: [String: [Int]] = [:]
        var captured: [[ScalarValue]: [ScalarValue?]] = [:]
    }

    /// The files that change and the vector file holding their new vectors.
    struct Marked {
        /// The files as they were (removed with their old vectors).
        var removed: [AddFile] = []
        /// The same files with their new vectors.
        var added: [AddFile] = []
        /// The deletion vector file written, relative to the table root.
        var vectorFile: String?
    }

    private var keyIndexes: [Int] { keyColumns.compactMap { name in columns.firstIndex { $0.name == name } } }

    /// Finds the live rows of `keys` in every file, up to two files at a time, and captures the columns
    /// `capture` asks for from them.
    func locate(_ keys: Set<[ScalarValue]>, capture: [[ScalarValue]: [Int]]) throws(FerryError) -> Located {
        let keyIndexes = keyIndexes
        guard keyIndexes.count == keyColumns.count else {
            throw FerryError(
                .schema, "key (\(keyColumns.joined(separator: ", "))) is not in the table", table: table.label)
        }
        let matcher = KeyMatcher(keys: keys, capture: capture, keyColumns: keyColumns, columns: columns)
        let sortedInts: [Int64]? =
            if case .int64(let ints, _) = matcher.keys { ints.sorted() } else { nil }
        let sortedDigests = sortedInts == nil ? Set(keys.map(KeyDigest.init)).sorted() : []
        let keyFields = keyIndexes.map { columns[$0] }
        let files = snapshot.files.values.sorted { $0.path < $1.path }
        let order = files.indices.sorted { files[$0].size > files[$1].size }
        let outcomes = WorkerPool<Void>(threads: MergeRewriter.filesInFlight, makeResource: {}).map(
            files.count, order: order
        ) {
            (index: Int, _: Void) throws(FerryError) -> ([Int], [[ScalarValue]: [ScalarValue?]]) in
            let file = files[index]
            let matched: [Int]
            if let sortedInts {
                matched = try table.keyIndex.keys(of: file, column: columns[keyIndexes[0]], table: table)
                    .rows(matching: sortedInts)
            } else {
                matched = try table.digestIndex.keys(of: file, columns: keyFields, table: table)
                    .rows(matching: sortedDigests)
            }
            let deleted = try table.deletedRows(of: file)
            let rows = matched.filter { !deleted.contains($0) }.sorted()
            let captured = capture.isEmpty || rows.isEmpty ? [:] : try self.capture(rows, of: file, matcher: matcher)
            return (rows, captured)
        }
        var located = Located()
        for (file, outcome) in zip(files, outcomes) {
            switch outcome {
            case .success(let (rows, captured)):
                if !rows.isEmpty { located.rows[file.path] = rows }
                located.captured.merge(captured) { _, later in later }
            case .failure(let error): throw error
            case .none: break
            }
        }
        return located
    }

    /// The values `matcher` wants captured from `rows` (ascending positions in `file`), by key.
    private func capture(
        _ rows: [Int], of file: AddFile, matcher: KeyMatcher
    ) throws(FerryError) -> [[ScalarValue]: [ScalarValue?]] {
        let reader = try DataFileReader(file, table: table)
        var captured: [[ScalarValue]: [ScalarValue?]] = [:]
        var i = 0
        while i < rows.count {
            let rg = reader.rowGroup(holding: rows[i])
            let start = reader.rowGroupStarts[rg]
            let end = reader.rowGroupStarts[rg + 1]
            let batch = try reader.readRowGroup(rg, columns: columns)
            while i < rows.count && rows[i] < end {
                let r = rows[i] - start
                if let (key, wanted) = matcher.capture(of: batch, row: r) {
                    captured[key] = wanted.map {
                        ScalarValue(vector: batch.vectors[$0], row: r, type: columns[$0].type)
                    }
                }
                i += 1
            }
        }
        return captured
    }

    /// Writes the new vectors of the files in `located` into one vector file; returns the files to remove and to
    /// add again.
    func mark(_ located: Located) throws(FerryError) -> Marked {
        var marked = Marked()
        var vectors: [DeletionVector] = []
        for path in located.rows.keys.sorted() {
            guard let file = snapshot.files[path], let rows = located.rows[path] else { continue }
            var vector = try table.deletedRows(of: file)
            for row in rows { vector.insert(row) }
            vectors.append(vector)
            marked.removed.append(file)
        }
        guard !vectors.isEmpty else { return marked }
        let descriptors = try table.write(vectors)
        marked.vectorFile = descriptors.first?.relativeFilePath
        for (i, file) in marked.removed.enumerated() {
            var again = file
            again.deletionVector = descriptors[i]
            again.dataChange = true
            again.stats = try Self.wideStats(of: file, table: table)
            marked.added.append(again)
            table.deletionVectors.remember(vectors[i], id: descriptors[i].uniqueId, path: file.path)
        }
        return marked
    }

    /// `file`'s statistics as bounds (`tightBounds: false`): deleted rows may have held the minimum or maximum.
    /// `numRecords` stays the physical row count, as the protocol requires next to a deletion vector.
    static func wideStats(of file: AddFile, table: DeltaTableFiles) throws(FerryError) -> String {
        var stats: FileStats
        if let parsed = file.parsedStats() {
            stats = parsed
        } else {
            let reader = try DataFileReader(file, table: table)
            stats = FileStats(numRecords: Int64(reader.rowGroupStarts.last ?? 0))
        }
        stats.tightBounds = false
        return stats.json
    }
}
