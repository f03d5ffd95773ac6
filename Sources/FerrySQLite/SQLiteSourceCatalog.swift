public import FerryCore
import GRDB

/// The tables of a SQLite file, for `ferry init`: opened read-only, counted exactly (SQLite keeps no estimate).
public struct SQLiteSourceCatalog: SourceCatalog {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Every table but SQLite's own (`sqlite_*`); SQLite has one schema, so `schemas` is not used.
    public func tables(schemas: [String]) throws(FerryError) -> [CatalogTable] {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let names = try db.run("listing the tables") { db in
            try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                    + "ORDER BY name")
        }
        var out: [CatalogTable] = []
        for name in names {
            guard let schema = try db.schema(of: name) else { continue }
            let count = try db.run("counting the rows of \(name)") { db in
                try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(SQLiteTypes.quote(name))")
            }
            // A single `INTEGER PRIMARY KEY` is the rowid, which SQLite assigns in increasing order.
            var identity: [String] = []
            if schema.primaryKey.count == 1, let key = schema.column(named: schema.primaryKey[0]),
                key.nativeType?.uppercased() == "INTEGER"
            {
                identity = [key.name]
            }
            out.append(
                CatalogTable(
                    name: TableName(name: name), schema: schema, rowEstimate: count, identityColumns: identity))
        }
        return out
    }

    public func streaming() throws(FerryError) -> StreamingReadiness {
        .unsupported("SQLite has no change stream: tables are copied whole or incrementally")
    }
}
