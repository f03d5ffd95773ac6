import FerryCore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteTableWriter: ChangeWriter {
    static let positionsTable = "_ferry_positions"

    func appliedPosition(pipeline: String) throws(FerryError) -> LSN? {
        guard exists else { return nil }
        return try db.run("reading the applied position of \(name)") { db -> LSN? in
            guard try db.tableExists(Self.positionsTable) else { return nil }
            return try Int64.fetchOne(
                db, sql: "SELECT position FROM \(Self.positionsTable) WHERE pipeline = ? AND table_name = ?",
                arguments: [pipeline, self.name]
            ).map { LSN(rawValue: UInt64(bitPattern: $0)) }
        }
    }

    func apply(
        _ changes: ChangeSet, schema: TableSchema, at position: ChangePosition, pipeline: String
    ) throws(FerryError) -> Bool {
        let held = try appliedPosition(pipeline: pipeline)
        guard try position.needsApplying(over: held, schema: schema, table: tableLabel) else { return false }
        let existing = try existingSchema()
        var setup: [String] = []
        if let existing {
            // A column the source dropped stays, NULL in the rows written from now on; so does one the source made
            // nullable. SQLite cannot drop NOT NULL in place: the table is rebuilt, in the batch's transaction.
            let relaxed = Set(
                existing.columns.filter { !$0.nullable && schema.column(named: $0.name)?.nullable == true }.map(\.name)
            ).subtracting(existing.primaryKey)
            if !relaxed.isEmpty { setup += try rebuildSQL(existing, relaxing: relaxed) }
            setup += try evolution(from: existing, to: schema)
        } else {
            setup.append(createTableSQL(name, schema: schema))
            setup += indexSQL(on: name, schema: schema)
        }
        setup.append(
            "CREATE TABLE IF NOT EXISTS \(Self.positionsTable) (pipeline TEXT NOT NULL, table_name TEXT NOT NULL, "
                + "position INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (pipeline, table_name))")
        let keyColumns = schema.primaryKey.compactMap { schema.column(named: $0) }
        var deleteBatch: RecordBatch?
        if !changes.deletes.isEmpty {
            guard let b = RecordBatch(rows: changes.deletes, columns: keyColumns) else {
                throw FerryError(.data, "a deleted key does not fit the key columns' types", table: tableLabel)
            }
            deleteBatch = b
        }
        var upsertBatches: [(sql: String, batch: RecordBatch)] = []
        for (unchanged, rows) in changes.upserts {
            let kept = schema.columns.indices.filter { !unchanged.contains($0) }
            let columns = kept.map { schema.columns[$0] }
            guard let b = RecordBatch(rows: rows.map { row in kept.map { row[$0] } }, columns: columns) else {
                throw FerryError(.data, "a changed row does not fit the table's column types", table: tableLabel)
            }
            let partial = TableSchema(columns: columns, primaryKey: schema.primaryKey)
            upsertBatches.append((upsertSQL(into: name, schema: partial, key: schema.primaryKey), b))
        }
        let deleteSQL =
            "DELETE FROM \(SQLiteTypes.quote(name)) WHERE "
            + schema.primaryKey.map { "\(SQLiteTypes.quote($0)) = ?" }.joined(separator: " AND ")
        let table = name
        try db.run("applying changes to \(name)") { db in
            // SQLite's DDL is transactional: a new column, the data and the position land together or not at all.
            try db.execute(sql: "BEGIN IMMEDIATE")
            do {
                for sql in setup { try db.execute(sql: sql) }
                if changes.truncated { try db.execute(sql: "DELETE FROM \(SQLiteTypes.quote(table))") }
                if let deleteBatch { try Self.execute(db, deleteSQL, deleteBatch) }
                for (sql, batch) in upsertBatches { try Self.execute(db, sql, batch) }
                if let stored = position.stored {
                    try db.execute(
                        sql: """
                            INSERT INTO \(Self.positionsTable) (pipeline, table_name, position, updated_at)
                            VALUES (?, ?, ?, ?)
                            ON CONFLICT (pipeline, table_name) DO UPDATE SET position = excluded.position,
                                updated_at = excluded.updated_at
                            """,
                        arguments: [
                            pipeline, table, Int64(bitPattern: stored.rawValue),
                            TimeText.formatTimestamp(
                                micros: Int64(Date().timeIntervalSince1970 * 1_000_000), zoned: true),
                        ])
                }
                try db.execute(sql: "COMMIT")
            } catch {
                try? db.execute(sql: "ROLLBACK")
                throw error
            }
        }
        return true
    }

    /// Runs `sql` once per row of `batch`, binding the row's values in column order.
    static func execute(_ db: Database, _ sql: String, _ batch: RecordBatch) throws {
        let statement = try db.cachedStatement(sql: sql)
        let stmt = statement.sqliteStatement
        let types = batch.columns.map(\.type)
        for row in 0..<batch.rowCount {
            sqlite3_reset(stmt)
            for (i, vector) in batch.vectors.enumerated() {
                _ = SQLiteValueWriter.bind(stmt, Int32(i + 1), vector: vector, row: row, type: types[i])
            }
            let rc = sqlite3_step(stmt)
            if rc != SQLITE_DONE {
                let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                sqlite3_reset(stmt)
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message)
            }
        }
        sqlite3_reset(stmt)
    }

    /// The statements that rebuild the table with `relaxed` columns no longer NOT NULL, the way SQLite's
    /// documentation prescribes for constraint changes: a copy of the table, its rows, the swap, then its indexes.
    func rebuildSQL(_ existing: TableSchema, relaxing relaxed: Set<String>) throws(FerryError) -> [String] {
        let table = name
        let copy = "_ferry_rebuild_" + name
        let q = SQLiteTypes.quote
        let named = try db.run("reading the indexes of \(name)") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                arguments: [table]
            ).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
        }
        var parts = existing.columns.map { c in
            q(c.name) + " " + (c.nativeType.map(SQLiteTypes.ddl) ?? SQLiteTypes.ddlType(for: c.type))
                + (c.nullable || relaxed.contains(c.name) ? "" : " NOT NULL")
        }
        if !existing.primaryKey.isEmpty {
            parts.append("PRIMARY KEY (" + existing.primaryKey.map(q).joined(separator: ", ") + ")")
        }
        let columns = existing.columns.map { q($0.name) }.joined(separator: ", ")
        // Indexes SQLite made for UNIQUE constraints have no SQL of their own; they come back as unique indexes.
        let explicit = Set(named.map(\.name))
        let constraints = TableSchema(
            columns: existing.columns, indexes: existing.indexes.filter { !explicit.contains($0.name) })
        return [
            "DROP TABLE IF EXISTS \(q(copy))",
            "CREATE TABLE \(q(copy)) (" + parts.joined(separator: ", ") + ")",
            "INSERT INTO \(q(copy)) (\(columns)) SELECT \(columns) FROM \(q(table))",
            "DROP TABLE \(q(table))",
            "ALTER TABLE \(q(copy)) RENAME TO \(q(table))",
        ] + named.map(\.sql) + indexSQL(on: table, schema: constraints)
    }
}
