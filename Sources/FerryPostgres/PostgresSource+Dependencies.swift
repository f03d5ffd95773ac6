public import FerryCore

/// Which of a run's tables reference which, from the source's foreign keys.
extension PostgresSource: TableDependencySource {
    public func referencedTables(among tables: [TableName]) throws(FerryError) -> [TableName: [TableName]] {
        guard tables.count > 1 else { return [:] }
        let conn = try PGConnection(config: config)
        defer { conn.close() }
        let context = "reading the foreign keys between the run's tables"
        // Each name as the config gives it, resolved the way a reader resolves it (the search path for a bare one).
        var byOID: [String: TableName] = [:]
        for table in tables {
            let spelled =
                (table.schema.map { PostgresSQL.quoteIdent($0) + "." } ?? "") + PostgresSQL.quoteIdent(table.name)
            let oid = try conn.execParams(
                "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid", [spelled], context: context,
                table: table.description
            ).scalar
            if let oid { byOID[oid] = table }
        }
        guard byOID.count > 1 else { return [:] }
        let list = "{" + byOID.keys.sorted().joined(separator: ",") + "}"
        let rows = try conn.execParams(
            """
            SELECT DISTINCT conrelid, confrelid FROM pg_catalog.pg_constraint
            WHERE contype = 'f' AND conparentid = 0 AND conrelid <> confrelid
              AND conrelid = ANY ($1::pg_catalog.oid[]) AND confrelid = ANY ($1::pg_catalog.oid[])
            ORDER BY 1, 2
            """, [list], context: context
        ).rows
        var out: [TableName: [TableName]] = [:]
        for row in rows {
            guard row.count == 2, let from = row[0].flatMap({ byOID[$0] }), let to = row[1].flatMap({ byOID[$0] })
            else { continue }
            out[from, default: []].append(to)
        }
        return out
    }
}
