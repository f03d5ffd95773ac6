import DeltaLake
import FerryCore
import Parquet

/// `MAX(column)` of a Delta table, for incremental watermarks: from the files' statistics where they are exact,
/// else from the Parquet footers, else from the live rows.
extension DeltaTableWriter {
    func maxValue(of column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        guard let s = try loadSnapshot() else { return nil }
        var best: ScalarValue?
        for f in s.files.values {
            let stats = f.parsedStats()
            let candidate: ScalarValue?
            if f.deletionVector != nil {
                // Statistics of a file with deleted rows are only bounds: the largest may be gone.
                candidate = try liveMax(f, column: column, type: type)
            } else if let v = FileStatsBuilder.scalar(stats?.maxValues?[column], type: type) {
                candidate = v
            } else if let stats, stats.numRecords > 0, stats.nullCount?[column]?.intValue == stats.numRecords {
                candidate = nil  // all NULL
            } else {
                candidate = try footerMax(f, column: column, type: type)
            }
            if let c = candidate, best == nil || (c.compare(to: best ?? c) ?? 0) > 0 { best = c }
        }
        return best
    }

    /// The largest value of `column` among the rows of `file` its deletion vector keeps.
    func liveMax(_ file: AddFile, column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        let reader = try DataFileReader(file, table: files)
        let wanted = [Column(name: column, type: type, nullable: true)]
        var best: ScalarValue?
        for rg in 0..<reader.rowGroupCount {
            let batch = try reader.readLiveRowGroup(rg, columns: wanted)
            for r in 0..<batch.rowCount {
                guard let v = ScalarValue(vector: batch.vectors[0], row: r, type: type) else { continue }
                if best == nil || (v.compare(to: best ?? v) ?? 0) > 0 { best = v }
            }
        }
        return best
    }

    /// Exact max from the Parquet footer's row-group statistics, for files without usable Delta stats.
    func footerMax(_ file: AddFile, column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        let reader = try files.open(file)
        guard let index = reader.schema.fields.firstIndex(where: { $0.name == column }) else { return nil }
        var best: ScalarValue?
        for rg in 0..<reader.rowGroupCount {
            let summary = reader.statistics(ofRowGroup: rg)[index]
            guard let stat = summary.max,
                let v = FileStatsBuilder.scalar(FileStatsBuilder.json(stat, type: type), type: type)
            else { continue }
            if best == nil || (v.compare(to: best ?? v) ?? 0) > 0 { best = v }
        }
        return best
    }
}
