import DeltaLake
import FerryCore
import Foundation

/// Routes rows to one data-file writer per partition (`col=value/` directories); partition columns are kept in the
/// log, not in the files, as the Delta protocol says.
///
/// At most `maxOpen` partitions have an open file at once (least recently used is closed first), so memory stays
/// bounded however many partitions a batch touches.
final class PartitionedFiles {
    static let maxOpen = 32

    let table: DeltaTableFiles
    let partitionColumns: [Column]
    let dataColumns: [Column]
    private let partitionIndexes: [Int]
    private let dataIndexes: [Int]
    private var open: [[String?]: DataFileWriter] = [:]
    private var recent: [[String?]] = []
    private var closed: [DataFileWriter] = []
    private var pending: [AddFile] = []

    init(table: DeltaTableFiles, columns: [Column], partitionBy: [String]) {
        self.table = table
        let partitionIndexes = partitionBy.compactMap { name in columns.firstIndex { $0.name == name } }
        let dataIndexes = columns.indices.filter { !partitionIndexes.contains($0) }
        self.partitionIndexes = partitionIndexes
        self.dataIndexes = dataIndexes
        partitionColumns = partitionIndexes.map { columns[$0] }
        dataColumns = dataIndexes.map { columns[$0] }
    }

    func write(_ batch: RecordBatch) throws(FerryError) -> [AddFile] {
        guard batch.rowCount > 0 else { return [] }
        if partitionIndexes.isEmpty { return try writer(for: []).write(batch) }
        var groups: [[String?]: [Bool]] = [:]
        var keys: [[String?]] = []
        for r in 0..<batch.rowCount {
            let key = partitionIndexes.map {
                PartitionValues.string(batch.vectors[$0], row: r, type: batch.columns[$0].type)
            }
            if groups[key] == nil {
                groups[key] = [Bool](repeating: false, count: batch.rowCount)
                keys.append(key)
            }
            groups[key]?[r] = true
        }
        var added: [AddFile] = []
        for key in keys {
            guard let keep = groups[key] else { continue }
            let rows = batch.filtered(keep)
            let data = RecordBatch(columns: dataColumns, vectors: dataIndexes.map { rows.vectors[$0] })
            added += try writer(for: key).write(data)
        }
        added += pending
        pending = []
        return added
    }

    private func writer(for key: [String?]) throws(FerryError) -> DataFileWriter {
        if let w = open[key] {
            if let i = recent.firstIndex(of: key) { recent.remove(at: i) }
            recent.append(key)
            return w
        }
        if open.count >= Self.maxOpen, let oldest = recent.first {
            recent.removeFirst()
            // Close the evicted partition's file now, so its buffers are freed.
            if let w = open.removeValue(forKey: oldest) {
                pending += try w.finish()
                closed.append(w)
            }
        }
        let w = DataFileWriter(table: table, columns: dataColumns)
        if !key.isEmpty {
            w.relativeDirectory = zip(partitionColumns, key).map { PartitionValues.directory($0.name, $1) }
                .joined(separator: "/")
            w.partitionValues = Dictionary(uniqueKeysWithValues: zip(partitionColumns.map(\.name), key))
        }
        open[key] = w
        recent.append(key)
        return w
    }

    /// Closes every open file; returns the `add`s not returned yet.
    func finish() throws(FerryError) -> [AddFile] {
        var added = pending
        pending = []
        for w in Array(open.values) { added += try w.finish() }
        closed = []
        open = [:]
        recent = []
        return added
    }

    func discard() {
        for w in closed + Array(open.values) { w.discard() }
        closed = []
        open = [:]
    }
}
