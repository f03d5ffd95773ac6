extension ChangeSet {
    /// Hands `rows` to `body` as typed batches of at most `batchSize` rows, each row's values taken at `indexes`
    /// (values past the row's end are NULL) and typed as those columns of `schema`.
    ///
    /// Writers turn a change set into batches a slice at a time, so applying it needs memory for the change set and
    /// one batch, not a second copy of the change set.
    ///
    /// - Throws: a `.data` error naming the row's key and the column when a value does not fit its column's type;
    ///   whatever `body` throws.
    public static func batches(
        _ rows: [[ScalarValue?]], indexes: [Int], of schema: TableSchema, batchSize: Int = 4096, table: String,
        _ body: (RecordBatch) throws(FerryError) -> Void
    ) throws(FerryError) {
        let columns = indexes.map { schema.columns[$0] }
        for start in stride(from: 0, to: rows.count, by: max(1, batchSize)) {
            let slice = rows[start..<min(start + max(1, batchSize), rows.count)]
            var batch = RecordBatch(columns: columns, capacity: slice.count)
            for row in slice {
                for (i, index) in indexes.enumerated() {
                    let value = index < row.count ? row[index] : nil
                    guard batch.vectors[i].append(value, as: columns[i].type) else {
                        throw FerryError(
                            .data,
                            "the changed row with key \(keyText(row, schema)) has \(value.map { "'\($0)'" } ?? "NULL") "
                                + "in column \(columns[i].name), which does not fit its type \(columns[i].type)",
                            table: table)
                    }
                }
            }
            try body(batch)
        }
    }

    /// `(v1, v2)` for the row's primary key, for messages.
    static func keyText(_ row: [ScalarValue?], _ schema: TableSchema) -> String {
        let values = schema.primaryKey.map { name -> String in
            guard let i = schema.index(of: name), i < row.count, let v = row[i] else { return "NULL" }
            return v.description
        }
        return "(" + values.joined(separator: ", ") + ")"
    }
}
