import DeltaLake
import FerryCore
import Foundation
import Parquet

/// Copy-on-write merge: rewrites only the files that hold rows whose key arrives again, one row group at a time.
///
/// Memory is bounded by the incoming key set and one row group, never by the table (delta-rs' merge grows with
/// the target: delta-rs#2573).
struct MergeRewriter {
    let writer: DeltaTableWriter
    let snapshot: Snapshot
    let keys: Set<[ScalarValue]>
    let keyColumns: [String]
    let columns: [Column]

    struct Result {
        var removed: [AddFile] = []
        var added: [AddFile] = []
    }

    func run() throws(FerryError) -> Result {
        var result = Result()
        let firstKeyType = columns.first { $0.name == keyColumns[0] }?.type ?? .int64
        let firsts = keys.compactMap(\.first)
        let low = firsts.min { ($0.compare(to: $1) ?? 0) < 0 }
        let high = firsts.max { ($0.compare(to: $1) ?? 0) < 0 }
        for file in snapshot.files.values.sorted(by: { $0.path < $1.path }) {
            if let stats = file.parsedStats(), let low, let high,
                let fmin = FileStatsBuilder.scalar(stats.minValues?[keyColumns[0]], type: firstKeyType),
                let fmax = FileStatsBuilder.scalar(stats.maxValues?[keyColumns[0]], type: firstKeyType),
                (fmax.compare(to: low) ?? 0) < 0 || (fmin.compare(to: high) ?? 0) > 0
            {
                continue  // the file's key range cannot hold any incoming key
            }
            if let rewritten = try rewrite(file) {
                result.removed.append(file)
                result.added += rewritten
            }
        }
        return result
    }

    /// The file's surviving rows in new files, or `nil` when no row of the file is replaced.
    func rewrite(_ file: AddFile) throws(FerryError) -> [AddFile]? {
        let path = writer.dataPath(file.path)
        let reader: ParquetReader
        do throws(ParquetError) {
            reader = try ParquetReader(path: path)
        } catch {
            throw FerryError(.io, "cannot read \(file.path) to merge: \(error)", table: writer.label)
        }
        let names = reader.schema.fields.map(\.name)
        let keyIndexes = keyColumns.compactMap { columns.map(\.name).firstIndex(of: $0) }
        var out: PartitionedFiles?
        var replaced = false
        var added: [AddFile] = []
        for rg in 0..<reader.rowGroupCount {
            let batch = try readRowGroup(reader, rg, names: names, partitionValues: file.partitionValues)
            var keep = [Bool](repeating: true, count: batch.rowCount)
            for r in 0..<batch.rowCount {
                let key = keyIndexes.map {
                    ScalarValue(vector: batch.vectors[$0], row: r, type: columns[$0].type) ?? .text("\u{0}NULL")
                }
                if keys.contains(key) {
                    keep[r] = false
                    replaced = true
                }
            }
            if out == nil { out = writer.makeFiles() }
            if let out { added += try out.write(batch.filtered(keep)) }
        }
        guard replaced else {
            out?.discard()
            return nil
        }
        if let out { added += try out.finish() }
        return added
    }

    /// One row group as a batch in the table's current column order; columns the file lacks are NULL.
    func readRowGroup(
        _ reader: ParquetReader, _ index: Int, names: [String], partitionValues: [String: String?]
    ) throws(FerryError) -> RecordBatch {
        let parquetColumns: [ColumnBatch]
        do throws(ParquetError) {
            parquetColumns = try reader.readRowGroup(index)
        } catch {
            throw FerryError(.io, "cannot read row group \(index) of \(reader.path): \(error)", table: writer.label)
        }
        let count = reader.rowCount(ofRowGroup: index)
        var vectors: [ColumnVector] = []
        for column in columns {
            if let i = names.firstIndex(of: column.name) {
                vectors.append(try ParquetMapping.vector(parquetColumns[i], type: column.type, name: column.name))
            } else if let value = partitionValues[column.name] {
                var v = ColumnVector(kind: column.type.storage, capacity: count)
                for _ in 0..<count { try PartitionValues.append(value, type: column.type, to: &v, column: column.name) }
                vectors.append(v)
            } else {
                var v = ColumnVector(kind: column.type.storage, capacity: count)
                for _ in 0..<count { v.appendNull() }
                vectors.append(v)
            }
        }
        return RecordBatch(columns: columns, vectors: vectors)
    }
}

extension RecordBatch {
    /// The rows where `keep` is true.
    func filtered(_ keep: [Bool]) -> RecordBatch {
        var out = RecordBatch(columns: columns, capacity: keep.filter { $0 }.count)
        for (c, vector) in vectors.enumerated() {
            for r in 0..<rowCount where keep[r] {
                if vector.isNull(r) {
                    out.vectors[c].appendNull()
                    continue
                }
                switch vector.values {
                case .boolean(let a): out.vectors[c].append(a[r])
                case .int64(let a): out.vectors[c].append(a[r])
                case .float64(let a): out.vectors[c].append(a[r])
                case .decimal(let a): out.vectors[c].append(decimal: a[r])
                case .bytes(let b): out.vectors[c].append(bytes: b[r])
                }
            }
        }
        return out
    }
}
