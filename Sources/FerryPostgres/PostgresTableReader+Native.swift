import FerryCore

/// PostgreSQL -> PostgreSQL: the table's definition from the catalog and its rows as the server's own COPY stream
/// (binary when every column's binary form is portable, text otherwise), handed over undecoded.
extension PostgresTableReader: NativeTableReader {
    func nativeDefinition() throws(FerryError) -> NativeTableDefinition? {
        if definition == nil {
            do throws(FerryError) {
                definition = try PostgresDefinitionReader.read(conn, schema: info.schemaName, name: info.name)
            } catch {
                if error.sqlState == PostgresDefinitionReader.unrecreatable { return nil }
                throw error
            }
        }
        return try definition?.native()
    }

    private func ownDefinition() throws(FerryError) -> PostgresTableDefinition {
        if let definition { return definition }
        guard let read = try PostgresDefinitionReader.read(conn, schema: info.schemaName, name: info.name) else {
            throw FerryError(
                .schema, "\(label) is not a table (a view or a foreign table cannot be copied with its definition)",
                table: label)
        }
        definition = read
        return read
    }

    private func nativeSQL(
        _ definition: PostgresTableDefinition, filter: RowFilter?, limit: Int?,
        literal: (String) throws(FerryError) -> String
    ) throws(FerryError) -> String {
        let columns = definition.copiedColumns.map { PostgresSQL.quoteIdent($0.name) }.joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(info.qualified)"
        if let filter {
            let column = try filterColumn(filter)
            sql += " WHERE " + condition(filter, column: column, bound: try literal(filter.value.description))
        }
        if let limit { sql += " LIMIT \(max(0, limit))" }
        return "COPY (\(sql)) TO STDOUT" + (definition.binaryCopy ? " (FORMAT binary)" : "")
    }

    func describeNativeRead(filter: RowFilter?, limit: Int?) -> String {
        do throws(FerryError) {
            return try nativeSQL(ownDefinition(), filter: filter, limit: limit) {
                (text: String) throws(FerryError) -> String in PostgresSQL.literal(text)
            }
        } catch {
            return "-- the read would fail: \(error.message)"
        }
    }

    func readNative(
        filter: RowFilter?, limit: Int?, chunkBytes: Int, consume: (NativeRows) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64 {
        let conn = self.conn
        let label = self.label
        let definition = try ownDefinition()
        let sql = try nativeSQL(definition, filter: filter, limit: limit) {
            (text: String) throws(FerryError) -> String in
            try conn.escapeLiteral(text, context: "quoting the filter of \(label)", table: label)
        }
        let size = max(1 << 12, chunkBytes)
        var chunk = [UInt8]()
        chunk.reserveCapacity(size + (1 << 16))
        var messages = 0
        try conn.beginCopyOut(sql, context: "reading \(label)", table: label)
        let count = try conn.readCopyData(context: "reading \(label)", table: label) {
            (message: UnsafeRawBufferPointer) throws(FerryError) in
            chunk.append(contentsOf: message)
            messages += 1
            if chunk.count >= size {
                let full = NativeRows(bytes: chunk, rows: messages)
                chunk.removeAll(keepingCapacity: true)
                messages = 0
                try consume(full)
            }
        }
        if !chunk.isEmpty { try consume(NativeRows(bytes: chunk, rows: messages)) }
        return count ?? 0
    }
}
