import FerryCore

/// Plans a write of `source` (the source's definition) into `target` (the target table as it is now, `nil` when
/// missing) with `mode`.
struct PostgresNativeWritePlanner {
    let source: PostgresTableDefinition
    let schema: String
    let name: String
    let target: PostgresTableDefinition?
    /// The target's user-defined types of the same names as the source's, `nil` where missing.
    let targetTypes: [String: PostgresTypeDefinition]
    let mode: WriteMode
    let force: Bool
    /// Whether foreign keys of other tables reference the target, or the target has its own.
    let targetHasForeignKeys: Bool
    /// The target's installed extensions among the source's, by name: the schema each is installed in.
    var targetExtensions: [String: String] = [:]
    /// The extensions the target server could install (`pg_available_extensions`) among the source's.
    var availableExtensions: Set<String> = []
    let holdsValues: (String) throws(FerryError) -> Bool
    /// Whether the target's partition (schema, name) holds any row.
    var partitionHoldsRows: (String, String) throws(FerryError) -> Bool = { _, _ throws(FerryError) in true }

    static let pendingTable = "_ferry_pending_constraints"
    static let tempTable = "__ferry_load"

    private func q(_ s: String) -> String { PostgresSQL.quoteIdent(s) }
    private var qualified: String { q(schema) + "." + q(name) }
    private var label: String { "\(schema).\(name)" }
    private var pending: String { q(schema) + "." + q(Self.pendingTable) }
    private var usesForeignKeys: Bool { !source.foreignKeys.isEmpty || targetHasForeignKeys }

    func plan() throws(FerryError) -> PostgresNativeWritePlan {
        var plan: PostgresNativeWritePlan
        let partitioned = source.partitionKey != nil || target?.partitionKey != nil
        if case .replace(.stagingSwap) = mode, target != nil, !partitioned {
            plan = try stagingSwapPlan()
        } else {
            plan = try transactionalPlan()
        }
        (plan.types, plan.remedies) = try typeStatements()
        return plan
    }

    private var copyColumns: String { source.copiedColumns.map { q($0.name) }.joined(separator: ", ") }

    private func copySQL(into table: String) -> String {
        "COPY \(table) (\(copyColumns)) FROM STDIN" + (source.binaryCopy ? " (FORMAT binary)" : "")
    }

    /// Schemas, extensions and types, created or brought in line, under an advisory lock so tables loading at the
    /// same time do not create the same type twice.
    private func typeStatements() throws(FerryError) -> ([String], [String: PostgresNativeWritePlan.Remedy]) {
        var remedies: [String: PostgresNativeWritePlan.Remedy] = [:]
        var out = ["BEGIN", "SELECT pg_catalog.pg_advisory_xact_lock(\(Self.schemaLock))"]
        var schemas = [schema]
        for t in source.types where !schemas.contains(t.schema) { schemas.append(t.schema) }
        for p in source.partitionTree where !schemas.contains(p.schema) { schemas.append(p.schema) }
        for e in source.extensions where !schemas.contains(e.schema) { schemas.append(e.schema) }
        for s in schemas {
            out.append(
                Self.unless(
                    "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = \(PostgresSQL.literal(s))",
                    ["CREATE SCHEMA \(q(s))"]))
        }
        for e in source.extensions {
            let create = "CREATE EXTENSION \(q(e.name)) SCHEMA \(q(e.schema))"
            if let installed = targetExtensions[e.name] {
                guard installed == e.schema else {
                    throw FerryError(
                        .schema,
                        "extension \(e.name) is installed in schema \(installed) of the target but in schema "
                            + "\(e.schema) of the source, and \(label) uses its types under the source's schema; run "
                            + "ALTER EXTENSION \(q(e.name)) SET SCHEMA \(q(e.schema)) in the target and run again",
                        table: label)
                }
                continue
            }
            guard availableExtensions.contains(e.name) else {
                throw FerryError(
                    .schema,
                    "extension \(e.name), whose types \(label) uses, is not available on the target server; install "
                        + "its package there (the version the source has), or have a superuser run \(create) in "
                        + "the target database, then run again",
                    table: label)
            }
            let statement = Self.unless(
                "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = \(PostgresSQL.literal(e.name))", [create])
            remedies[statement] = PostgresNativeWritePlan.Remedy(
                context: "creating extension \(e.name) in schema \(e.schema) of the target for \(label)",
                advice: "have a superuser run \(create) in the target database (the extension's package must be "
                    + "installed on the target server), then run again")
            out.append(statement)
        }
        for t in source.types {
            guard let have = targetTypes[t.label] else {
                out.append(
                    Self.unless(
                        "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
                            + "WHERE n.nspname = \(PostgresSQL.literal(t.schema)) "
                            + "AND t.typname = \(PostgresSQL.literal(t.name))",
                        t.createStatements(literal: PostgresSQL.literal)))
                continue
            }
            guard let changes = t.alterations(from: have, literal: PostgresSQL.literal) else {
                throw FerryError(
                    .schema,
                    "type \(t.label) differs between the source and the target (\(label) uses it); make the target's "
                        + "the same (or drop it so Ferry creates it) and run again",
                    table: label)
            }
            out += changes
        }
        if usesForeignKeys {
            out.append(
                Self.unless(
                    "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = \(PostgresSQL.literal(schema)) "
                        + "AND c.relname = \(PostgresSQL.literal(Self.pendingTable))",
                    [
                        "CREATE TABLE \(pending) (table_schema text NOT NULL, table_name text NOT NULL, "
                            + "name text NOT NULL, definition text NOT NULL, "
                            + "PRIMARY KEY (table_schema, table_name, name))"
                    ]))
        }
        out.append("COMMIT")
        return (out, remedies)
    }

    /// Runs `statements` unless `query` finds a row. The check reads the catalog with the statement's own snapshot,
    /// so it sees what a table that held the schema lock before committed (`IF NOT EXISTS` may not, and fails with
    /// a duplicate key when two tables create the same schema at once).
    static func unless(_ query: String, _ statements: [String]) -> String {
        PostgresSQL.doBlock(
            "BEGIN IF NOT EXISTS (\(query)) THEN "
                + statements.map { "EXECUTE \(PostgresSQL.literal($0));" }.joined(separator: " ") + " END IF; END")
    }

    /// A constant key for `pg_advisory_xact_lock`: Ferry's schema changes take turns.
    static let schemaLock: Int64 = 0x4665_7272_7953_6368

    // MARK: Foreign keys

    /// Sets aside (in `pending`, in the same transaction) and drops every foreign key that references the target
    /// or belongs to it, so the load can replace rows other tables reference; `restoreConstraints` adds them back.
    private func detachForeignKeys() -> [String] {
        guard target != nil, usesForeignKeys else { return [] }
        let regclass = PostgresSQL.literal(qualified) + "::pg_catalog.regclass"
        return [
            // Every table a foreign key joins to the target is locked first, in name order, so loads of related
            // tables at the same time wait for each other instead of deadlocking. Locked by name, read in the
            // query's snapshot: a related table that another load swapped meanwhile is locked under its new
            // identity (its old OID no longer has a name), and one dropped meanwhile is skipped.
            PostgresSQL.doBlock(
                """
                    DECLARE r record; BEGIN
                FOR r IN SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS t
                         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.oid IN (
                           SELECT \(regclass)
                           UNION SELECT con.conrelid FROM pg_catalog.pg_constraint con
                                 WHERE con.contype = 'f' AND con.confrelid = \(regclass)
                           UNION SELECT con.confrelid FROM pg_catalog.pg_constraint con
                                 WHERE con.contype = 'f' AND con.conrelid = \(regclass))
                         ORDER BY 1 LOOP
                  IF pg_catalog.to_regclass(r.t) IS NOT NULL THEN
                    EXECUTE 'LOCK TABLE ' || r.t || ' IN ACCESS EXCLUSIVE MODE';
                  END IF;
                END LOOP; END
                """),
            """
            INSERT INTO \(pending) (table_schema, table_name, name, definition)
            SELECT n.nspname, c.relname, con.conname, pg_catalog.pg_get_constraintdef(con.oid)
            FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE con.contype = 'f' AND con.conparentid = 0 AND con.confrelid = \(regclass)
              AND con.conrelid <> \(regclass)
            ON CONFLICT DO NOTHING
            """,
            PostgresSQL.doBlock(
                """
                    DECLARE r record; BEGIN
                FOR r IN SELECT con.conrelid::pg_catalog.regclass AS t, con.conname FROM pg_catalog.pg_constraint con
                         WHERE con.contype = 'f' AND con.conparentid = 0
                           AND (con.confrelid = \(regclass) OR con.conrelid = \(regclass)) LOOP
                  EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', r.t, r.conname);
                END LOOP; END
                """),
        ]
    }

    /// The source's foreign keys of the target, to add once every table has loaded (replacing what was set aside
    /// for the target's own).
    private func registerForeignKeys(_ keys: [PostgresTableDefinition.Constraint], replacingOwn: Bool) -> [String] {
        guard usesForeignKeys, replacingOwn || !keys.isEmpty else { return [] }
        var out: [String] = []
        if replacingOwn {
            out.append(
                "DELETE FROM \(pending) WHERE table_schema = \(PostgresSQL.literal(schema)) "
                    + "AND table_name = \(PostgresSQL.literal(name))")
        }
        for fk in keys {
            out.append(
                "INSERT INTO \(pending) (table_schema, table_name, name, definition) VALUES ("
                    + [schema, name, fk.name, fk.definition].map(PostgresSQL.literal).joined(separator: ", ")
                    + ") ON CONFLICT (table_schema, table_name, name) DO UPDATE SET definition = EXCLUDED.definition")
        }
        return out
    }

    // MARK: Plans

    private func transactionalPlan() throws(FerryError) -> PostgresNativeWritePlan {
        let ddl = PostgresTableDDL(definition: source, schema: schema, name: name)
        var prepare = ["BEGIN"]
        var finish: [String] = []
        var lossy: [String] = []
        var replacing = false
        if case .replace = mode { replacing = true }
        var foreignKeys = source.foreignKeys
        if let target {
            if replacing {
                prepare += detachForeignKeys()
                prepare.append("TRUNCATE \(qualified)")
            }
            let sync = try PostgresSchemaSync(source: source, target: target, holdsValues: holdsValues)
                .plan(force: force, includeForeignKeys: !replacing)
            // A serial column new in the source needs its sequence before the column (existing ones are kept).
            prepare += ddl.createSerialSequences()
            prepare += sync.statements
            lossy = sync.lossy
            if !replacing { foreignKeys = sync.foreignKeys }
            for partition in source.partitions
            where !target.partitions.contains(where: { $0.definition.name == partition.definition.name }) {
                var one = source
                one.partitions = [partition]
                prepare += PostgresTableDDL(definition: one, schema: schema, name: name).createPartitions()
            }
            // A partition gone from the source goes from the target too, or its range would take rows the source
            // keeps in another partition (the default one). A replace has emptied it; otherwise its rows are lost.
            for partition in target.partitions
            where !source.partitions.contains(where: { $0.definition.name == partition.definition.name }) {
                let child = partition.definition
                if !replacing, try partitionHoldsRows(child.schema, child.name) {
                    lossy.append(
                        "partition \(child.label) of \(label) is gone from the source and holds rows in the target")
                    if !force { continue }
                }
                prepare.append("DROP TABLE \(child.qualified)")
            }
        } else {
            prepare += ddl.createSerialSequences()
            prepare.append(ddl.createTable())
            prepare += ddl.createPartitions()
            prepare += ddl.comments()
            finish += try ddl.buildConstraintsAndIndexes()
            finish += ddl.replicaIdentity()
        }
        let copyInto: String
        if case .upsert(let key) = mode {
            let temp = "pg_temp." + q(Self.tempTable)
            // The copied columns' types only: no NOT NULL of a generated column the COPY leaves empty.
            prepare.append(
                "CREATE TEMP TABLE \(q(Self.tempTable)) ON COMMIT DROP AS SELECT \(copyColumns) FROM \(qualified) "
                    + "WITH NO DATA")
            copyInto = temp
            finish.append(
                PostgresWritePlanner.insertSQL(
                    into: qualified, columns: copyColumns, select: copyColumns, from: temp, upsertKey: key,
                    updating: source.copiedColumns.map(\.name),
                    overridingSystemValue: source.copiedColumns.contains { $0.identity == "a" }))
        } else {
            copyInto = qualified
        }
        finish += ddl.sequenceOwnershipAndValues()
        finish += registerForeignKeys(foreignKeys, replacingOwn: replacing || target == nil)
        finish.append("COMMIT")
        var plan = PostgresNativeWritePlan(copySQL: copySQL(into: copyInto))
        plan.prepare = prepare
        plan.finish = finish
        plan.lossy = lossy
        return plan
    }

    private func stagingSwapPlan() throws(FerryError) -> PostgresNativeWritePlan {
        guard let target else { return try transactionalPlan() }
        let stagingName = PostgresWritePlanner.stagingName(name)
        let staging = PostgresTableDDL.staging(source, schema: schema, name: stagingName)
        var final = staging
        final = PostgresTableDDL(definition: source, schema: schema, name: name, provisional: staging.provisional)
        // The swap replaces the table whole, so only changes that lose data matter here.
        let sync = try PostgresSchemaSync(source: source, target: target, holdsValues: holdsValues)
            .plan(force: true, includeForeignKeys: false)
        var plan = PostgresNativeWritePlan(copySQL: copySQL(into: staging.qualified), staging: stagingName)
        plan.lossy = sync.lossy
        plan.prepare =
            ["DROP TABLE IF EXISTS \(staging.qualified)"] + staging.createSerialSequences() + [
                staging.createTable()
            ] + staging.comments()
        // Constraints and indexes are built on the staging table outside any transaction: the old table stays
        // readable meanwhile; the swap transaction then only renames.
        plan.finish = try staging.buildConstraintsAndIndexes()
        plan.finish.append("BEGIN")
        plan.finish += detachForeignKeys()
        for s in target.sequences where !s.identity {
            plan.finish.append("ALTER SEQUENCE \(s.qualified) OWNED BY NONE")
        }
        plan.finish.append("DROP TABLE \(qualified)")
        plan.finish.append("ALTER TABLE \(staging.qualified) RENAME TO \(q(name))")
        plan.finish += final.renames()
        plan.finish += final.replicaIdentity()
        plan.finish += final.sequenceOwnershipAndValues()
        plan.finish += registerForeignKeys(source.foreignKeys, replacingOwn: true)
        plan.finish.append("COMMIT")
        return plan
    }
}
