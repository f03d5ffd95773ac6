import FerryCore
import Foundation
import GRDB

/// One SQLite connection used from one thread at a time, with Ferry's error mapping.
final class SQLiteDatabase {
    let queue: DatabaseQueue
    let path: String

    init(path: String, readOnly: Bool) throws(FerryError) {
        self.path = path
        if readOnly && !FileManager.default.fileExists(atPath: path) {
            throw FerryError(
                .connection, "SQLite database \(path) does not exist (check databases.source.path in the config)")
        }
        var config = Configuration()
        config.readonly = readOnly
        config.allowsUnsafeTransactions = true
        config.busyMode = .timeout(30)
        config.label = "ferry"
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw FerryError(.connection, "cannot open SQLite database \(path): \(Self.describe(error))")
        }
    }

    func run<T>(_ what: String, _ body: (Database) throws -> T) throws(FerryError) -> T {
        do {
            return try queue.inDatabase { db in try body(db) }
        } catch let error as FerryError {
            throw error
        } catch {
            throw Self.map(error, doing: what, path: path)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? e.description }
        return String(describing: error)
    }

    static func map(_ error: any Error, doing what: String, path: String) -> FerryError {
        if let e = error as? DatabaseError {
            let message = "\(what) failed in SQLite database \(path): \(e.message ?? e.description)"
            switch e.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return FerryError(.transient, message)
            case .SQLITE_CANTOPEN, .SQLITE_IOERR: return FerryError(.connection, message)
            default:
                if (e.message ?? "").contains("no such table") || (e.message ?? "").contains("no such column") {
                    return FerryError(.schema, message)
                }
                return FerryError(.database, message)
            }
        }
        return FerryError(.database, "\(what) failed in SQLite database \(path): \(error)")
    }

    /// The schema of `table`, or `nil` if it does not exist.
    func schema(of table: String) throws(FerryError) -> TableSchema? {
        try run("reading the schema of \(table)") { db -> TableSchema? in
            let q = SQLiteTypes.quote(table)
            let cols = try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(q))")
            if cols.isEmpty { return nil }
            var columns: [FerryCore.Column] = []
            var pk: [(Int, String)] = []
            for row in cols {
                let hidden: Int = row["hidden"] ?? 0
                if hidden != 0 { continue }
                let name: String = row["name"]
                let declared: String = row["type"] ?? ""
                let notNull: Bool = row["notnull"] ?? false
                let pkIndex: Int = row["pk"] ?? 0
                if pkIndex > 0 { pk.append((pkIndex, name)) }
                columns.append(
                    FerryCore.Column(
                        name: name, type: SQLiteTypes.columnType(declared: declared),
                        nullable: !notNull && pkIndex == 0, nativeType: declared))
            }
            var indexes: [IndexSpec] = []
            for idx in try Row.fetchAll(db, sql: "PRAGMA index_list(\(q))") {
                let origin: String = idx["origin"] ?? "c"
                let partial: Bool = idx["partial"] ?? false
                if origin == "pk" || partial { continue }
                let name: String = idx["name"]
                let unique: Bool = idx["unique"] ?? false
                let infos = try Row.fetchAll(db, sql: "PRAGMA index_info(\(SQLiteTypes.quote(name)))")
                let names = infos.compactMap { $0["name"] as String? }
                if names.count != infos.count || names.isEmpty { continue }  // expression index
                // Constraint indexes get SQLite-internal names; give them the conventional `<table>_<cols>_key`.
                let indexName =
                    name.hasPrefix("sqlite_autoindex") ? "\(table)_\(names.joined(separator: "_"))_key" : name
                indexes.append(IndexSpec(name: indexName, columns: names, unique: unique))
            }
            return TableSchema(columns: columns, primaryKey: pk.sorted { $0.0 < $1.0 }.map(\.1), indexes: indexes)
        }
    }
}
