import FerryCore
import Foundation

/// Foreign keys a load set aside (in `<schema>._ferry_pending_constraints`, written in the load's own transaction)
/// are added back once every table of the run has committed; each is validated as it is added, in its own
/// transaction. One the data violates stays set aside, so the next run tries again, and is reported by name.
extension PostgresDestination: ConstraintRestoringDestination {
    public func restoreConstraints() throws(FerryError) -> [FerryError] {
        let conn = try PGConnection(config: config)
        defer { conn.close() }
        let context = "adding back foreign keys"
        try conn.exec("SET search_path = pg_catalog", context: context)
        let schemas = try conn.execParams(
            """
            SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = $1 AND c.relkind = 'r' ORDER BY n.nspname
            """, [PostgresNativeWritePlanner.pendingTable], context: context
        ).rows.compactMap { $0.first ?? nil }
        var failures: [FerryError] = []
        for schema in schemas {
            let pending =
                PostgresSQL.quoteIdent(schema) + "."
                + PostgresSQL.quoteIdent(
                    PostgresNativeWritePlanner.pendingTable)
            let rows = try conn.exec(
                "SELECT table_schema, table_name, name, definition FROM \(pending) ORDER BY 1, 2, 3", context: context)
            for row in rows.rows {
                guard row.count == 4, let s = row[0], let t = row[1], let name = row[2], let definition = row[3]
                else { continue }
                let table = PostgresSQL.quoteIdent(s) + "." + PostgresSQL.quoteIdent(t)
                let label = "\(s).\(t)"
                let key =
                    "table_schema = \(PostgresSQL.literal(s)) AND table_name = \(PostgresSQL.literal(t)) "
                    + "AND name = \(PostgresSQL.literal(name))"
                do throws(FerryError) {
                    try conn.exec("BEGIN", context: context, table: label)
                    let exists = try conn.execParams(
                        """
                        SELECT 1 FROM pg_catalog.pg_constraint
                        WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2
                        """, [table, name], context: context, table: label)
                    let tableExists = try conn.execParams(
                        "SELECT pg_catalog.to_regclass($1) IS NOT NULL", [table], context: context, table: label)
                    if tableExists.scalar == "t" && exists.rows.isEmpty {
                        try conn.exec(
                            "ALTER TABLE \(table) ADD CONSTRAINT \(PostgresSQL.quoteIdent(name)) \(definition)",
                            context: "adding back foreign key \(name) of \(label)", table: label)
                    }
                    try conn.exec("DELETE FROM \(pending) WHERE \(key)", context: context, table: label)
                    try conn.exec("COMMIT", context: context, table: label)
                } catch {
                    _ = try? conn.exec("ROLLBACK", context: context, table: label)
                    let reason =
                        error.sqlState == "23503"
                        ? "rows of \(label) reference keys that are missing from the referenced table"
                        : error.message
                    failures.append(
                        FerryError(
                            error.code == .connection ? .connection : .integrity,
                            "foreign key \(name) (\(definition)) could not be added back: \(reason); it stays set "
                                + "aside and the next run tries again (fix the data in the source, or include the "
                                + "referenced table in the run)",
                            table: label, sqlState: error.sqlState, underlying: error))
                }
            }
            let left = try conn.exec("SELECT count(*) FROM \(pending)", context: context).scalar
            if left == "0" {
                try conn.exec(
                    "BEGIN; LOCK TABLE \(pending); "
                        + PostgresSQL.doBlock(
                            "BEGIN IF NOT EXISTS (SELECT 1 FROM \(pending)) THEN "
                                + "EXECUTE \(PostgresSQL.literal("DROP TABLE \(pending)")); END IF; END") + "; "
                        + "COMMIT",
                    context: context)
            }
        }
        return failures
    }
}
