import DeltaLake
import FerryCore
import Foundation
import Parquet

/// Copy-on-write merge: rewrites only the files that hold rows whose key arrives again (or is deleted), one row
/// group at a time.
///
/// Memory is bounded by the incoming key set and one row group, never by the table (delta-rs' merge grows with
/// the target: delta-rs#2573).
struct MergeRewriter {
    let table: DeltaTableFiles
    let snapshot: Snapshot
    /// Keys whose rows are dropped from the files (see `key(of:row:at:)` for their form).
    let keys: Set<[ScalarValue]>
    let keyColumns: [String]
    /// The columns files are read and rewritten with: every column of the table, so rows kept lose nothing.
    let columns: [Column]
    let partitionBy: [String]
    /// For these keys, the values at these indexes of `columns` of the row being dropped end up in
    /// `Result.captured` (a change set's unchanged columns keep the old row's value).
    var capture: [[ScalarValue]: [Int]] = [:]

    struct Result {
        var removed: [AddFile] = []
        var added: [AddFile] = []
        var captured: [[ScalarValue]: [ScalarValue?]] = [:]
    }

    /// Stands for NULL in a key column of `type` (a primary key never holds NULL, a merge key of another table
    /// may): a value of a kind the column's values never read back as (`ScalarValue(vector:row:type:)`), so no
    /// real key equals it, while NULL keys still equal each other.
    static func nullKey(for type: ColumnType) -> ScalarValue {
        switch type {
        case .numeric, .text, .json, .jsonb, .uuid, .list, .structure: .bytes([])
        case .boolean, .int16, .int32, .int64, .time, .date, .timestamp, .timestampTZ, .float32, .float64, .decimal,
            .bytes:
            .text("")
        }
    }

    /// The key of `row` in `batch`, from the columns at `indexes`.
    static func key(of batch: RecordBatch, row: Int, at indexes: [Int]) -> [ScalarValue] {
        indexes.map { i in
            let type = batch.columns[i].type
            return ScalarValue(vector: batch.vectors[i], row: row, type: type) ?? nullKey(for: type)
        }
    }

    /// The columns a rewrite carries: the table's in its order (typed as `incoming` where it has the column: both
    /// map to the same Delta type), then the new ones. Nullable where either side is, since rows already in the
    /// table may have no value for a column the source now declares NOT NULL.
    static func columns(existing: TableSchema, incoming: TableSchema) -> [Column] {
        var out: [Column] = existing.columns.map { column in
            guard var newer = incoming.column(named: column.name) else { return column }
            newer.nullable = newer.nullable || column.nullable
            return newer
        }
        for column in incoming.columns where existing.column(named: column.name) == nil {
            var added = column
            added.nullable = true
            out.append(added)
        }
        return out
    }

    /// Files rewritten at once: each holds one row group in memory, and the Parquet reader and writer spread each
    /// file's columns over the cores as well, so two keep both cores busy through the serial stretches.
    static let filesInFlight = 2

    /// Writing that needs nothing from the rows a merge drops (a change set's new rows without unchanged columns),
    /// run in the same pool as the file rewrites so it fills a core the last, largest rewrite leaves idle.
    typealias Alongside = () throws(FerryError) -> [AddFile]

    /// What one task of `run` produced.
    private enum Outcome {
        case file(FileRewrite?)
        case alongside([AddFile])
    }

    /// Rewrites the files that hold any of `keys`, up to `filesInFlight` at a time (largest first), and runs
    /// `alongside` among them; its files come last in `Result.added`. On failure, deletes what any of them wrote.
    func run(alongside: Alongside? = nil) throws(FerryError) -> Result {
        let matcher = KeyMatcher(keys: keys, capture: capture, keyColumns: keyColumns, columns: columns)
        let candidates = try candidateFiles(matching: matcher)
        // Tasks 0..<candidates.count rewrite files; task candidates.count runs `alongside`, right after the largest.
        var order = candidates.indices.sorted { candidates[$0].size > candidates[$1].size }
        if alongside != nil { order.insert(candidates.count, at: min(1, order.count)) }
        let tasks = Array(0..<(candidates.count + (alongside == nil ? 0 : 1)))
        let outcomes = WorkerPool<Void>(threads: Self.filesInFlight, makeResource: {}).map(tasks.count, order: order) {
            (task: Int, _: Void) throws(FerryError) -> Outcome in
            guard task < candidates.count else { return .alongside(try alongside?() ?? []) }
            return .file(try rewrite(candidates[task], matching: matcher))
        }
        var result = Result()
        var alongsideFiles: [AddFile] = []
        var failure: FerryError?
        for (task, outcome) in zip(tasks, outcomes) {
            switch outcome {
            case .success(.file(let rewritten?)):
                result.removed.append(candidates[task])
                result.added += rewritten.added
                result.captured.merge(rewritten.captured) { _, later in later }
            case .success(.alongside(let files)): alongsideFiles = files
            case .success(.file(nil)), .none: break
            case .failure(let error): failure = failure ?? error
            }
        }
        result.added += alongsideFiles
        if let failure {
            table.deleteUncommitted(result.added)
            throw failure
        }
        return result
    }

    /// The files whose first-key range (from their statistics) holds at least one incoming key; files without
    /// usable statistics are always candidates. Integer keys are searched as sorted `Int64`s.
    func candidateFiles(matching matcher: KeyMatcher) throws(FerryError) -> [AddFile] {
        let files = snapshot.files.values.sorted { $0.path < $1.path }
        guard let firstKey = columns.first(where: { $0.name == keyColumns[0] }) else {
            throw FerryError(.schema, "merge key column \(keyColumns[0]) is not in the table", table: table.label)
        }
        let holdsKey: (ScalarValue, ScalarValue) -> Bool
        var lookForNull = false
        switch matcher.keys {
        case .int64(let ints, _):
            let sorted = ints.sorted()
            holdsKey = { low, high in
                guard let low = KeyMatcher.integer(low, type: firstKey.type),
                    let high = KeyMatcher.integer(high, type: firstKey.type)
                else { return true }
                let i = Self.firstIndex(in: sorted) { $0 >= low }
                return i < sorted.count && sorted[i] <= high
            }
        case .general(let keys, _):
            // NULL stands for itself in keys and compares with nothing, so it is kept out of the sorted list; the
            // statistics' bounds never cover NULLs, so a file that may hold one is a candidate for it instead.
            let null = Self.nullKey(for: firstKey.type)
            let firsts = keys.compactMap(\.first).filter { $0 != null }.sorted { ($0.compare(to: $1) ?? 0) < 0 }
            lookForNull = keys.contains { $0.first == null }
            holdsKey = { low, high in
                // The first incoming key at or above the file's minimum must not pass its maximum.
                let i = Self.firstIndex(in: firsts) { key in key.compare(to: low).map { $0 >= 0 } ?? true }
                return i < firsts.count && (firsts[i].compare(to: high) ?? 0) <= 0
            }
        }
        return files.filter { file in
            guard let stats = file.parsedStats() else { return true }
            if lookForNull && (stats.nullCount?[firstKey.name]?.intValue ?? 1) > 0 { return true }
            guard
                let low = FileStatsBuilder.scalar(stats.minValues?[firstKey.name], type: firstKey.type),
                let high = FileStatsBuilder.scalar(stats.maxValues?[firstKey.name], type: firstKey.type)
            else { return true }
            return holdsKey(low, high)
        }
    }

    /// The first index of `sorted` whose element satisfies `atOrAbove` (false for a prefix, then true).
    static func firstIndex<T>(in sorted: [T], where atOrAbove: (T) -> Bool) -> Int {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if atOrAbove(sorted[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// One file's rewrite: the files holding its surviving rows, and the captured values of the rows it dropped.
    struct FileRewrite {
        var added: [AddFile] = []
        var captured: [[ScalarValue]: [ScalarValue?]] = [:]
    }

    /// The file's surviving rows in new files, or `nil` when no row of the file is dropped.
    ///
    /// Rows the file's deletion vector removes are neither matched nor kept: the rewrite has none, so its files
    /// need no vector.
    func rewrite(_ file: AddFile, matching matcher: KeyMatcher) throws(FerryError) -> FileRewrite? {
        let reader = try DataFileReader(file, table: table)
        let out = table.makeFiles(columns: columns, partitionBy: partitionBy)
        var replaced = false
        var rewritten = FileRewrite()
        do throws(FerryError) {
            for rg in 0..<reader.rowGroupCount {
                let batch = try reader.readLiveRowGroup(rg, columns: columns)
                let dropped = matcher.droppedRows(of: batch)
                guard !dropped.isEmpty else {
                    rewritten.added += try out.write(batch)
                    continue
                }
                replaced = true
                var keep = [Bool](repeating: true, count: batch.rowCount)
                for r in dropped {
                    keep[r] = false
                    if let (key, wanted) = matcher.capture(of: batch, row: r) {
                        rewritten.captured[key] = wanted.map {
                            ScalarValue(vector: batch.vectors[$0], row: r, type: columns[$0].type)
                        }
                    }
                }
                rewritten.added += try out.write(batch.filtered(keep))
            }
            guard replaced else {
                out.discard()
                return nil
            }
            rewritten.added += try out.finish()
        } catch {
            out.discard()
            table.deleteUncommitted(rewritten.added)
            throw error
        }
        return rewritten
    }
}
