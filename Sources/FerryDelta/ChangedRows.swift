import DeltaLake
import FerryCore

/// A change set's rows laid out for a Delta table: the keys a merge must drop, the unchanged (TOAST) columns it
/// must carry over from the rows it drops, and the writing of the new rows once those are known.
struct ChangedRows {
    let changes: ChangeSet
    let schema: TableSchema
    /// The table's columns, as files are written.
    let columns: [Column]
    let table: DeltaTableFiles
    /// For each column of `schema`, its index in `columns`.
    let place: [Int]
    let keyIndexes: [Int]
    /// Keys whose rows leave the table: deleted keys and keys of upserted rows (the new row replaces the old).
    private(set) var touched = Set<[ScalarValue]>()
    /// For upserted rows with unchanged columns: their key and the indexes in `columns` to take from the old row.
    private(set) var capture: [[ScalarValue]: [Int]] = [:]

    init(_ changes: ChangeSet, schema: TableSchema, columns: [Column], table: DeltaTableFiles) throws(FerryError) {
        self.changes = changes
        self.schema = schema
        self.columns = columns
        self.table = table
        var place: [Int] = []
        for column in schema.columns {
            guard let i = columns.firstIndex(where: { $0.name == column.name }) else {
                throw FerryError(.integrity, "column \(column.name) is missing from the table", table: table.label)
            }
            place.append(i)
        }
        self.place = place
        keyIndexes = schema.primaryKey.compactMap { schema.index(of: $0) }
        for key in changes.deletes { touched.insert(try normalized(key)) }
        for (unchanged, rows) in changes.upserts {
            if let k = keyIndexes.first(where: { unchanged.contains($0) }) {
                throw FerryError(
                    .data, "changed rows left their key column \(schema.columns[k].name) unsent (unchanged)",
                    table: table.label)
            }
            let wanted = unchanged.filter { $0 < place.count }.sorted().map { place[$0] }
            for row in rows {
                let key = try normalized(keyIndexes.map { $0 < row.count ? row[$0] : nil })
                touched.insert(key)
                if !wanted.isEmpty { capture[key] = wanted }
            }
        }
    }

    /// A key as the merge reads it back from a data file, whatever form the change stream gave its values in.
    func normalized(_ values: [ScalarValue?]) throws(FerryError) -> [ScalarValue] {
        // The common key, one integer column given as an integer in range, is already in the form read back.
        if keyIndexes.count == 1, values.count == 1, case .int(let v)? = values[0] {
            switch schema.columns[keyIndexes[0]].type {
            case .int64: return [.int(v)]
            case .int32 where Int32(exactly: v) != nil: return [.int(v)]
            case .int16 where Int16(exactly: v) != nil: return [.int(v)]
            default: break
            }
        }
        var key: [ScalarValue] = []
        for (value, i) in zip(values, keyIndexes) {
            let type = schema.columns[i].type
            var vector = ColumnVector(type: type, capacity: 1)
            guard vector.append(value, as: type) else {
                throw FerryError(
                    .data,
                    "key value \(value.map { "'\($0)'" } ?? "NULL") of column \(schema.columns[i].name) "
                        + "does not fit its type \(type)", table: table.label)
            }
            key.append(ScalarValue(vector: vector, row: 0, type: type) ?? MergeRewriter.nullKey(for: type))
        }
        return key
    }

    /// Writes every upserted row into new files, unchanged columns taken from `captured` (the rows the merge
    /// dropped) and NULL when the key was not in the table; on failure, deletes what it wrote.
    func write(captured: [[ScalarValue]: [ScalarValue?]], partitionBy: [String]) throws(FerryError) -> [AddFile] {
        let files = table.makeFiles(columns: columns, partitionBy: partitionBy)
        let shape = TableSchema(columns: columns, primaryKey: schema.primaryKey)
        var added: [AddFile] = []
        do throws(FerryError) {
            for (unchanged, rows) in changes.upserts {
                let wanted = unchanged.filter { $0 < place.count }.sorted()
                for start in stride(from: 0, to: rows.count, by: DeltaTableWriter.changeBatchRows) {
                    var laidOut: [[ScalarValue?]] = []
                    for row in rows[start..<min(start + DeltaTableWriter.changeBatchRows, rows.count)] {
                        var out = [ScalarValue?](repeating: nil, count: columns.count)
                        for (i, t) in place.enumerated() where i < row.count && !unchanged.contains(i) {
                            out[t] = row[i]
                        }
                        if !wanted.isEmpty,
                            let old = captured[try normalized(keyIndexes.map { $0 < row.count ? row[$0] : nil })]
                        {
                            for (k, i) in wanted.enumerated() { out[place[i]] = old[k] }
                        }
                        laidOut.append(out)
                    }
                    try ChangeSet.batches(
                        laidOut, indexes: Array(columns.indices), of: shape, batchSize: laidOut.count,
                        table: table.label
                    ) { (batch: RecordBatch) throws(FerryError) in
                        added += try files.write(batch)
                    }
                }
            }
            added += try files.finish()
        } catch {
            files.discard()
            table.deleteUncommitted(added)
            throw error
        }
        return added
    }
}
