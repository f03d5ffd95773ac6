import DeltaLake
import FerryCore
import Foundation
import Parquet

/// Reads one live data file of a table as batches in the table's column order, with its deletion vector applied.
///
/// Every path that reads rows back out of a table (merges, compaction, key lookups, exact maxima) goes through
/// here, so none of them can see a row a deletion vector removed.
struct DataFileReader {
    let file: AddFile
    let reader: ParquetReader
    /// Rows the file's deletion vector removes (empty without one).
    let deleted: DeletionVector
    let label: String
    private let names: [String]
    /// The first row of each row group, and the file's row count last.
    let rowGroupStarts: [Int]

    init(_ file: AddFile, table: DeltaTableFiles) throws(FerryError) {
        self.file = file
        self.label = table.label
        reader = try table.open(file)
        deleted = try table.deletedRows(of: file)
        names = reader.nodes.map(\.name)
        var starts = [0]
        for rg in 0..<reader.rowGroupCount { starts.append(starts[rg] + reader.rowCount(ofRowGroup: rg)) }
        rowGroupStarts = starts
    }

    var rowGroupCount: Int { reader.rowGroupCount }

    /// The row group holding file row `row`.
    func rowGroup(holding row: Int) -> Int {
        MergeRewriter.firstIndex(in: rowGroupStarts) { $0 > row } - 1
    }

    /// Row group `index` as a batch of `columns` (NULL where the file lacks a column, the partition value where
    /// it is one), every row included; `live(_:)` says which rows the deletion vector keeps.
    func readRowGroup(_ index: Int, columns: [Column]) throws(FerryError) -> RecordBatch {
        let wanted = columns.map(\.name).filter { names.contains($0) }
        let parquetColumns: [ColumnBatch]
        do throws(ParquetError) {
            parquetColumns = try reader.readRowGroup(index, columns: wanted)
        } catch {
            throw FerryError(.io, "cannot read row group \(index) of \(file.path): \(error.message)", table: label)
        }
        let count = reader.rowCount(ofRowGroup: index)
        var vectors: [ColumnVector] = []
        for column in columns {
            if let i = wanted.firstIndex(of: column.name) {
                vectors.append(try ParquetMapping.vector(parquetColumns[i], type: column.type, name: column.name))
            } else if let value = file.partitionValues[column.name] {
                var v = ColumnVector(type: column.type, capacity: count)
                for _ in 0..<count { try PartitionValues.append(value, type: column.type, to: &v, column: column.name) }
                vectors.append(v)
            } else {
                var v = ColumnVector(type: column.type, capacity: count)
                for _ in 0..<count { v.appendNull() }
                vectors.append(v)
            }
        }
        return RecordBatch(columns: columns, vectors: vectors)
    }

    /// Which rows of row group `index` are live (not in the deletion vector); `nil` when all are.
    func live(_ index: Int) -> [Bool]? {
        guard !deleted.isEmpty else { return nil }
        let start = rowGroupStarts[index]
        let count = rowGroupStarts[index + 1] - start
        var keep = [Bool](repeating: true, count: count)
        var any = false
        for r in 0..<count where deleted.contains(start + r) {
            keep[r] = false
            any = true
        }
        return any ? keep : nil
    }

    /// Row group `index` without its deleted rows.
    func readLiveRowGroup(_ index: Int, columns: [Column]) throws(FerryError) -> RecordBatch {
        let batch = try readRowGroup(index, columns: columns)
        return live(index).map { batch.filtered($0) } ?? batch
    }
}
