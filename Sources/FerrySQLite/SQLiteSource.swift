public import FerryCore
import Foundation
import GRDB
import GRDBSQLite

/// Reads tables from a SQLite file, opened read-only.
public struct SQLiteSource: Source {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func openReader(_ table: TableName) throws(FerryError) -> any TableReader {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        // One read transaction for the whole table run: count and read see the same snapshot.
        try db.run("starting a read transaction") { db in try db.execute(sql: "BEGIN DEFERRED") }
        guard let schema = try db.schema(of: table.name) else {
            try? db.run("ending the read transaction") { db in try db.execute(sql: "COMMIT") }
            throw FerryError(
                .schema,
                "table \(table.name) does not exist in the source SQLite database \(path) (check tables[].name)",
                table: table.description)
        }
        return SQLiteTableReader(db: db, table: table, schema: schema)
    }
}

final class SQLiteTableReader: TableReader {
    let db: SQLiteDatabase
    let table: TableName
    let schema: TableSchema

    init(db: SQLiteDatabase, table: TableName, schema: TableSchema) {
        self.db = db
        self.table = table
        self.schema = schema
    }

    /// Integer and float bounds compare exactly in SQL; dates, timestamps and decimals are stored in many text
    /// shapes in SQLite, so those rows are compared after parsing, in Swift.
    private func sqlFilter(_ filter: RowFilter?) -> (sql: String, args: StatementArguments)? {
        guard let filter else { return nil }
        switch filter.value {
        case .int(let v):
            return ("\(SQLiteTypes.quote(filter.column)) \(filter.comparison.rawValue) ?", [v])
        case .double(let v):
            return ("\(SQLiteTypes.quote(filter.column)) \(filter.comparison.rawValue) ?", [v])
        default:
            return nil
        }
    }

    private func columnList() -> String {
        schema.columns.map { SQLiteTypes.quote($0.name) }.joined(separator: ", ")
    }

    func describeRead(filter: RowFilter?, limit: Int?) -> String {
        var sql = "SELECT \(columnList()) FROM \(SQLiteTypes.quote(table.name))"
        if let filter {
            sql += " WHERE \(SQLiteTypes.quote(filter.column)) \(filter.comparison.rawValue) '\(filter.value)'"
        }
        if let limit { sql += " LIMIT \(limit)" }
        return sql
    }

    func count(filter: RowFilter?) throws(FerryError) -> Int64 {
        if filter == nil || sqlFilter(filter) != nil {
            let f = sqlFilter(filter)
            let sql = "SELECT count(*) FROM \(SQLiteTypes.quote(table.name))" + (f.map { " WHERE \($0.sql)" } ?? "")
            return try db.run("counting rows of \(table.name)") { db in
                try Int64.fetchOne(db, sql: sql, arguments: f?.args ?? []) ?? 0
            }
        }
        var n: Int64 = 0
        _ = try read(filter: filter, limit: nil, batchSize: 10_000) { (batch: RecordBatch) throws(FerryError) in
            n += Int64(batch.rowCount)
        }
        return n
    }

    func read(
        filter: RowFilter?, limit: Int?, batchSize: Int, consume: (RecordBatch) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64 {
        let f = sqlFilter(filter)
        var sql = "SELECT \(columnList()) FROM \(SQLiteTypes.quote(table.name))"
        if let f { sql += " WHERE \(f.sql)" }
        if let limit, filter == nil || f != nil { sql += " LIMIT \(limit)" }
        let swiftFilter = f == nil ? filter : nil
        let filterIndex = swiftFilter.flatMap { schema.index(of: $0.column) }
        if let swiftFilter, filterIndex == nil {
            throw FerryError(
                .schema, "column \(swiftFilter.column) does not exist in the source table", table: table.description)
        }
        let columns = schema.columns
        let tableName = table.description
        var failure: FerryError?
        let total: Int64 = try db.run("reading \(table.name)") { db -> Int64 in
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(f?.args ?? [])
            let stmt = statement.sqliteStatement
            var batch = RecordBatch(columns: columns, capacity: batchSize)
            var rows: Int64 = 0
            var rowNumber = 0
            var probe = ColumnVector(kind: .int64)
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else {
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: rc),
                        message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                rowNumber += 1
                if let swiftFilter, let fi = filterIndex {
                    let type = columns[fi].type
                    probe = ColumnVector(type: type, capacity: 1)
                    do {
                        try SQLiteValueReader.append(stmt, Int32(fi), type: type, to: &probe)
                    } catch {
                        failure = FerryError(
                            .data, "row \(rowNumber), column \(columns[fi].name): \(error)", table: tableName)
                        return rows
                    }
                    guard let v = ScalarValue(vector: probe, row: 0, type: type),
                        v.satisfies(swiftFilter.comparison, swiftFilter.value)
                    else { continue }
                }
                for (i, column) in columns.enumerated() {
                    do {
                        try SQLiteValueReader.append(stmt, Int32(i), type: column.type, to: &batch.vectors[i])
                    } catch {
                        failure = FerryError(
                            .data, "row \(rowNumber), column \(column.name): \(error)", table: tableName)
                        return rows
                    }
                }
                rows += 1
                if batch.rowCount >= batchSize {
                    do throws(FerryError) { try consume(batch) } catch { failure = error; return rows }
                    batch = RecordBatch(columns: columns, capacity: batchSize)
                }
                if let limit, rows >= Int64(limit) { break }
            }
            if batch.rowCount > 0 {
                do throws(FerryError) { try consume(batch) } catch { failure = error; return rows }
            }
            return rows
        }
        if let failure { throw failure }
        return total
    }

    func close() {
        try? db.run("ending the read transaction") { db in try db.execute(sql: "COMMIT") }
    }
}
