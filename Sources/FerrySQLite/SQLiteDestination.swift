public import FerryCore
import Foundation
import GRDB
import GRDBSQLite

/// Writes tables into a SQLite file (created when missing).
public struct SQLiteDestination: Destination {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func openWriter(_ table: TableName) throws(FerryError) -> any TableWriter {
        SQLiteTableWriter(path: path, table: table)
    }
}

final class SQLiteTableWriter: TableWriter {
    let path: String
    let table: TableName
    private var opened: SQLiteDatabase?
    private var schema: TableSchema?
    private var mode: WriteMode?
    private var insertTable = ""
    private var insertSQL = ""
    private var rowsWritten: Int64 = 0
    private var inTransaction = false

    init(path: String, table: TableName) {
        self.path = path
        self.table = table
    }

    /// The database file is created only when something is written, so planning and dry runs leave no trace.
    var exists: Bool { opened != nil || FileManager.default.fileExists(atPath: path) }

    var db: SQLiteDatabase {
        get throws(FerryError) {
            if let opened { return opened }
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let db = try SQLiteDatabase(path: path, readOnly: false)
            opened = db
            return db
        }
    }

    var name: String { table.name }
    var staging: String { table.name + "__ferry_staging" }
    var tableLabel: String { table.description }

    func existingSchema() throws(FerryError) -> TableSchema? {
        guard exists else { return nil }
        return try db.schema(of: name)
    }

    func rowCount() throws(FerryError) -> Int64 {
        guard try existingSchema() != nil else { return 0 }
        return try db.run("counting rows of \(name)") { db in
            try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(SQLiteTypes.quote(self.name))") ?? 0
        }
    }

    func maxValue(of column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        guard let existing = try existingSchema() else { return nil }
        guard let index = existing.index(of: column) else {
            throw FerryError(.schema, "column \(column) does not exist in the target table", table: tableLabel)
        }
        let targetType = existing.columns[index].type
        let sql = "SELECT max(\(SQLiteTypes.quote(column))) FROM \(SQLiteTypes.quote(name))"
        var failure: FerryError?
        let value: ScalarValue? = try db.run("reading max(\(column)) of \(name)") { db -> ScalarValue? in
            let statement = try db.makeStatement(sql: sql)
            let stmt = statement.sqliteStatement
            guard sqlite3_step(stmt) == SQLITE_ROW else { return nil }
            var v = ColumnVector(type: targetType, capacity: 1)
            do {
                try SQLiteValueReader.append(stmt, 0, type: targetType, to: &v)
            } catch {
                failure = FerryError(.data, "max(\(column)) in the target: \(error)", table: self.tableLabel)
                return nil
            }
            return ScalarValue(vector: v, row: 0, type: targetType)
        }
        if let failure { throw failure }
        return value
    }

    func recover() throws(FerryError) {
        guard exists else { return }
        try db.run("dropping leftover staging table") { db in
            try db.execute(sql: "DROP TABLE IF EXISTS \(SQLiteTypes.quote(self.staging))")
        }
    }

    func createTableSQL(_ name: String, schema: TableSchema) -> String {
        var parts = schema.columns.map { c in
            SQLiteTypes.quote(c.name) + " " + SQLiteTypes.ddlType(for: c.type) + (c.nullable ? "" : " NOT NULL")
        }
        if !schema.primaryKey.isEmpty {
            parts.append("PRIMARY KEY (" + schema.primaryKey.map(SQLiteTypes.quote).joined(separator: ", ") + ")")
        }
        return "CREATE TABLE \(SQLiteTypes.quote(name)) (" + parts.joined(separator: ", ") + ")"
    }

    func indexSQL(on table: String, schema: TableSchema) -> [String] {
        schema.indexes.map { idx in
            let name = idx.name.hasPrefix(table) ? idx.name : "\(table)_\(idx.name)"
            return "CREATE \(idx.unique ? "UNIQUE " : "")INDEX IF NOT EXISTS \(SQLiteTypes.quote(name)) ON "
                + "\(SQLiteTypes.quote(table)) (" + idx.columns.map(SQLiteTypes.quote).joined(separator: ", ") + ")"
        }
    }

    /// Columns to add to an existing target, or an error when an existing column cannot hold the source's values.
    func evolution(from existing: TableSchema, to schema: TableSchema) throws(FerryError) -> [String] {
        var statements: [String] = []
        for column in schema.columns {
            if let current = existing.column(named: column.name) {
                if !column.type.widens(to: current.type) {
                    throw FerryError(
                        .schema,
                        "column \(column.name) is \(column.type) in the source but \(current.type) in the target; "
                            + "alter or drop the target table (a full_replace with staging_swap recreates it)",
                        table: tableLabel)
                }
            } else {
                statements.append(
                    "ALTER TABLE \(SQLiteTypes.quote(name)) ADD COLUMN \(SQLiteTypes.quote(column.name)) "
                        + SQLiteTypes.ddlType(for: column.type))
            }
        }
        for column in existing.columns where schema.column(named: column.name) == nil && !column.nullable {
            throw FerryError(
                .schema, "target column \(column.name) is NOT NULL but does not exist in the source", table: tableLabel)
        }
        return statements
    }

    /// What `begin`, `write` and `commit` run, in order: everything, the table's creation included, in one
    /// transaction.
    func describeWrite(schema: TableSchema, mode: WriteMode) -> [String] {
        let existing = try? existingSchema()
        var out = ["BEGIN IMMEDIATE"]
        let cols = schema.columns.map { SQLiteTypes.quote($0.name) }.joined(separator: ", ")
        if case .replace(.stagingSwap) = mode {
            out += [
                createTableSQL(staging, schema: schema),
                "INSERT INTO \(SQLiteTypes.quote(staging)) (\(cols)) VALUES (...) -- per row",
                "DROP TABLE IF EXISTS \(SQLiteTypes.quote(name))",
                "ALTER TABLE \(SQLiteTypes.quote(staging)) RENAME TO \(SQLiteTypes.quote(name))",
            ]
            return out + indexSQL(on: name, schema: schema) + ["COMMIT"]
        }
        if let existing {
            if let evolve = try? evolution(from: existing, to: schema) { out += evolve }
        } else {
            out.append(createTableSQL(name, schema: schema))
            out += indexSQL(on: name, schema: schema)
        }
        switch mode {
        case .replace:
            if existing != nil { out.append("DELETE FROM \(SQLiteTypes.quote(name))") }
            out.append("INSERT INTO \(SQLiteTypes.quote(name)) (\(cols)) VALUES (...) -- per row")
        case .append: out.append("INSERT INTO \(SQLiteTypes.quote(name)) (\(cols)) VALUES (...) -- per row")
        case .upsert(let key): out.append(upsertSQL(into: name, schema: schema, key: key) + " -- per row")
        }
        return out + ["COMMIT"]
    }

    func upsertSQL(into table: String, schema: TableSchema, key: [String]) -> String {
        let cols = schema.columns.map { SQLiteTypes.quote($0.name) }
        let params = Array(repeating: "?", count: cols.count).joined(separator: ", ")
        let updates = schema.columns.filter { !key.contains($0.name) }.map {
            "\(SQLiteTypes.quote($0.name)) = excluded.\(SQLiteTypes.quote($0.name))"
        }
        let action = updates.isEmpty ? "NOTHING" : "UPDATE SET " + updates.joined(separator: ", ")
        return "INSERT INTO \(SQLiteTypes.quote(table)) (\(cols.joined(separator: ", "))) VALUES (\(params)) "
            + "ON CONFLICT (\(key.map(SQLiteTypes.quote).joined(separator: ", "))) DO \(action)"
    }

    /// Opens the write's transaction and, inside it, creates or evolves the table: a write that never commits
    /// (killed, failed) leaves no table behind, not even an empty one.
    func begin(schema: TableSchema, mode: WriteMode) throws(FerryError) {
        let existing = try existingSchema()
        var statements: [String] = []
        if case .replace(.stagingSwap) = mode {
            statements.append("DROP TABLE IF EXISTS \(SQLiteTypes.quote(staging))")
            statements.append(createTableSQL(staging, schema: schema))
            insertTable = staging
        } else {
            insertTable = name
            if let existing {
                statements += try evolution(from: existing, to: schema)
                if case .upsert(let key) = mode, Set(existing.primaryKey) != Set(key) {
                    let unique = existing.indexes.contains { $0.unique && Set($0.columns) == Set(key) }
                    if !unique {
                        throw FerryError(
                            .schema,
                            "the target table has no primary key or unique index on (\(key.joined(separator: ", "))) to upsert by; "
                                + "add one or run a full_replace with staging_swap to recreate the table",
                            table: tableLabel)
                    }
                }
            } else {
                statements.append(createTableSQL(name, schema: schema))
                statements += indexSQL(on: name, schema: schema)
            }
        }
        if case .replace(.simpleCopy) = mode, existing != nil {
            statements.append("DELETE FROM \(SQLiteTypes.quote(name))")
        }
        if case .upsert(let key) = mode {
            insertSQL = upsertSQL(into: name, schema: schema, key: key)
        } else {
            let cols = schema.columns.map { SQLiteTypes.quote($0.name) }
            insertSQL =
                "INSERT INTO \(SQLiteTypes.quote(insertTable)) (\(cols.joined(separator: ", "))) VALUES ("
                + Array(repeating: "?", count: cols.count).joined(separator: ", ") + ")"
        }
        try db.run("preparing \(name)") { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            do {
                for sql in statements { try db.execute(sql: sql) }
            } catch {
                try? db.execute(sql: "ROLLBACK")
                throw error
            }
        }
        inTransaction = true
        self.schema = schema
        self.mode = mode
        rowsWritten = 0
    }

    func write(_ batch: RecordBatch) throws(FerryError) {
        let sql = insertSQL
        let n = batch.rowCount
        let types = batch.columns.map(\.type)
        try db.run("writing rows into \(insertTable)") { db in
            let statement = try db.cachedStatement(sql: sql)
            let stmt = statement.sqliteStatement
            for row in 0..<n {
                sqlite3_reset(stmt)
                for (i, vector) in batch.vectors.enumerated() {
                    let rc = SQLiteValueWriter.bind(stmt, Int32(i + 1), vector: vector, row: row, type: types[i])
                    if rc != SQLITE_OK {
                        throw DatabaseError(
                            resultCode: ResultCode(rawValue: rc),
                            message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                    }
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
        rowsWritten += Int64(n)
    }

    func commit() throws(FerryError) -> Int64 {
        guard let schema, let mode else {
            throw FerryError(.integrity, "commit without begin", table: tableLabel)
        }
        var statements: [String] = []
        if case .replace(.stagingSwap) = mode {
            statements.append("DROP TABLE IF EXISTS \(SQLiteTypes.quote(name))")
            statements.append("ALTER TABLE \(SQLiteTypes.quote(staging)) RENAME TO \(SQLiteTypes.quote(name))")
            statements += indexSQL(on: name, schema: schema)
        }
        statements.append("COMMIT")
        try db.run("committing \(name)") { db in
            for sql in statements { try db.execute(sql: sql) }
        }
        inTransaction = false
        return rowsWritten
    }

    func abort() {
        if inTransaction, let db = opened {
            try? db.run("rolling back") { db in try db.execute(sql: "ROLLBACK") }
            inTransaction = false
        }
        try? recover()
    }

    func close() {
        if inTransaction { abort() }
        try? opened?.queue.close()
    }
}
