import FerryCore

/// PostgreSQL -> PostgreSQL: the target is created as the source's definition says (or synced with it) and the
/// rows are the source's own COPY stream, passed through without being decoded.
extension PostgresTableWriter: NativeTableWriter {
    func acceptsNative(_ definition: NativeTableDefinition) -> Bool {
        guard let source = try? PostgresTableDefinition(native: definition, table: label) else { return false }
        return source.schema == table.schema && source.name == table.name
    }

    /// Every statement is written fully qualified, and the catalog's deparsers qualify what they print only when
    /// the search path is `pg_catalog` alone, which is also how the source's definition was read.
    private func pinSearchPath() throws(FerryError) {
        try conn.exec("SET search_path = pg_catalog", context: "preparing the write into \(label)", table: label)
    }

    func nativePlanner(
        _ definition: NativeTableDefinition, mode: WriteMode, force: Bool
    ) throws(FerryError)
        -> PostgresNativeWritePlanner
    {
        let source = try PostgresTableDefinition(native: definition, table: label)
        try pinSearchPath()
        let schema = table.schema ?? "public"
        let target = try PostgresDefinitionReader.read(conn, schema: schema, name: table.name)
        var targetTypes: [String: PostgresTypeDefinition] = [:]
        for t in source.types {
            if let have = try PostgresDefinitionReader.readType(conn, schema: t.schema, name: t.name, label: label) {
                targetTypes[t.label] = have
            }
        }
        var touched = false
        if target != nil {
            let regclass = PostgresSQL.literal(qualified) + "::pg_catalog.regclass"
            let rows = try conn.exec(
                "SELECT 1 FROM pg_catalog.pg_constraint WHERE contype = 'f' "
                    + "AND (conrelid = \(regclass) OR confrelid = \(regclass)) LIMIT 1",
                context: "reading the foreign keys of \(label)", table: label)
            touched = !rows.rows.isEmpty
        }
        let (installed, available) = try targetExtensions(source.extensions.map(\.name))
        let conn = self.conn
        let qualified = self.qualified
        let label = self.label
        return PostgresNativeWritePlanner(
            source: source, schema: schema, name: table.name, target: target, targetTypes: targetTypes, mode: mode,
            force: force, targetHasForeignKeys: touched, targetExtensions: installed, availableExtensions: available,
            holdsValues: { (column: String) throws(FerryError) -> Bool in
                let rows = try conn.exec(
                    "SELECT 1 FROM \(qualified) WHERE \(PostgresSQL.quoteIdent(column)) IS NOT NULL LIMIT 1",
                    context: "checking whether column \(column) of \(label) holds values", table: label)
                return !rows.rows.isEmpty
            },
            partitionHoldsRows: { (schema: String, name: String) throws(FerryError) -> Bool in
                let partition = PostgresSQL.quoteIdent(schema) + "." + PostgresSQL.quoteIdent(name)
                let rows = try conn.exec(
                    "SELECT 1 FROM \(partition) LIMIT 1",
                    context: "checking whether partition \(schema).\(name) of \(label) holds rows", table: label)
                return !rows.rows.isEmpty
            })
    }

    /// Of `names`, the extensions the target has installed (with their schema) and those its server could install.
    private func targetExtensions(
        _ names: [String]
    ) throws(FerryError) -> (installed: [String: String], available: Set<String>) {
        guard !names.isEmpty else { return ([:], []) }
        var installed: [String: String] = [:]
        var available: Set<String> = []
        let list = "{" + names.map { "\"\($0)\"" }.joined(separator: ",") + "}"
        let rows = try conn.execParams(
            """
            SELECT a.name, n.nspname FROM pg_catalog.pg_available_extensions a
            LEFT JOIN pg_catalog.pg_extension e ON e.extname = a.name
            LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE a.name = ANY ($1::text[])
            """, [list], context: "reading the target's extensions for \(label)", table: label
        ).rows
        for row in rows {
            guard row.count == 2, let name = row[0] else { continue }
            available.insert(name)
            if let schema = row[1] { installed[name] = schema }
        }
        return (installed, available)
    }

    func describeNativeWrite(_ definition: NativeTableDefinition, mode: WriteMode, force: Bool) -> [String] {
        do throws(FerryError) {
            let plan = try nativePlanner(definition, mode: mode, force: force).plan()
            let refused = plan.lossy.map { "-- would lose data (needs --force): \($0)" }
            return refused + plan.statements
        } catch {
            return ["-- the write would fail: \(error.message)"]
        }
    }

    func beginNative(_ definition: NativeTableDefinition, mode: WriteMode, force: Bool) throws(FerryError) {
        do throws(FerryError) {
            let plan = try nativePlanner(definition, mode: mode, force: force).plan()
            if !plan.lossy.isEmpty && !force {
                throw FerryError(
                    .schema,
                    plan.lossy.joined(separator: "; ")
                        + "; nothing was changed: run with --force to apply (values that do not fit are lost), or "
                        + "change the target by hand",
                    table: label)
            }
            for sql in plan.types {
                guard let remedy = plan.remedies[sql] else {
                    try conn.exec(sql, context: "creating the types of \(label)", table: label)
                    continue
                }
                do throws(FerryError) {
                    try conn.exec(sql, context: remedy.context, table: label)
                } catch {
                    var wrapped = error
                    let generic = "; " + PostgresErrors.advice(for: error.code)
                    if wrapped.message.hasSuffix(generic) { wrapped.message.removeLast(generic.count) }
                    wrapped.message += "; " + remedy.advice
                    throw wrapped
                }
            }
            nativePlan = plan
            for sql in plan.prepare {
                try conn.exec(sql, context: "preparing the write into \(label)", table: label)
            }
            try conn.beginCopyIn(plan.copySQL, context: "starting to load \(label)", table: label)
            copying = true
        } catch {
            if conn.isOpen && conn.inTransaction {
                _ = try? conn.exec("ROLLBACK", context: "rolling back \(label)", table: label)
            }
            abort()
            throw error
        }
    }

    func writeNative(_ rows: NativeRows) throws(FerryError) {
        guard copying, nativePlan != nil else {
            throw FerryError(.integrity, "write without begin", table: label)
        }
        try conn.putCopyData(rows.bytes, context: "loading \(label)", table: label)
    }

    func commitNative() throws(FerryError) -> Int64 {
        guard copying, let plan = nativePlan else {
            throw FerryError(.integrity, "commit without begin", table: label)
        }
        let written: Int64
        do throws(FerryError) {
            written = try finishCopy(then: plan.finish)
        } catch {
            abort()
            throw error
        }
        nativePlan = nil
        return written
    }
}
