import FerryCore

/// The SQL a write runs, worked out before anything is executed, so `describeWrite` (dry runs) and `begin`/`commit`
/// run exactly the same statements.
///
/// A write has three phases: `prepare` (before the COPY: transaction, DDL), the COPY itself, and `finish` (after
/// the COPY: index builds, swap or upsert, COMMIT).
struct PostgresWritePlan {
    var prepare: [String] = []
    /// The table whose catalog types decide the binary encoding (the temp table mirrors the target's types).
    var encodingTable: TableName
    /// Whether the COPY goes into a temp table; its columns are then encoded as the target's types, or as text for
    /// target columns Ferry reaches only through a cast.
    var viaTempTable: Bool
    var copySQL: String
    var finish: [String] = []
    /// The staging table (staging_swap only), dropped when the write is abandoned.
    var staging: String?

    var statements: [String] { prepare + [copySQL] + finish }
}

/// Builds `PostgresWritePlan`s for one target table.
struct PostgresWritePlanner {
    let target: TableName
    /// The target as it is now; `nil` when missing.
    let existing: PGTableInfo?
    let schema: TableSchema
    let mode: WriteMode
    /// What the target makes of the columns' native type spellings (`PostgresDestination.nativeTypes`).
    var nativeTypes: [String: (type: ColumnType, form: PGValueForm)] = [:]
    /// Whether a relation name is already used in the target schema by something other than an index of the
    /// current target (those go away with it in a swap).
    let nameTaken: (String) throws(FerryError) -> Bool

    static let tempTable = "__ferry_load"

    private var schemaName: String { target.schema ?? "public" }
    private var label: String { "\(schemaName).\(target.name)" }
    private func q(_ name: String) -> String { PostgresSQL.quoteIdent(name) }
    private func qualified(_ name: String) -> String { q(schemaName) + "." + q(name) }

    static func stagingName(_ table: String) -> String {
        PostgresSQL.truncateIdentifier(table, maxBytes: 63 - 15) + "__ferry_staging"
    }

    static func oldName(_ table: String) -> String {
        PostgresSQL.truncateIdentifier(table, maxBytes: 63 - 11) + "__ferry_old"
    }

    func plan() throws(FerryError) -> PostgresWritePlan {
        if case .replace(.stagingSwap) = mode { return try stagingSwapPlan() }
        return try transactionalPlan()
    }

    // MARK: Definitions

    /// The DDL type of a column and whether it is written through a text cast (`PostgresTypes.ddl(for:nativeTypes:)`).
    func ddl(_ column: Column) -> (ddl: String, viaText: Bool) {
        PostgresTypes.ddl(for: column, nativeTypes: nativeTypes)
    }

    /// With `textForCasts`, columns written through a cast are created as text (the staging swap converts them
    /// after its COPY).
    private func columnDefinitions(_ columns: [Column], textForCasts: Bool = false) -> [String] {
        columns.map { c in
            let type = ddl(c)
            return q(c.name) + " " + (textForCasts && type.viaText ? "text" : type.ddl)
                + (c.nullable ? "" : " NOT NULL")
        }
    }

    /// `CREATE TABLE` with the columns and, unless `withPrimaryKey` is false (staging), the primary key.
    func createTable(_ name: String, withPrimaryKey: Bool, textForCasts: Bool = false) -> String {
        var parts = columnDefinitions(schema.columns, textForCasts: textForCasts)
        if withPrimaryKey && !schema.primaryKey.isEmpty {
            parts.append("PRIMARY KEY (" + schema.primaryKey.map(q).joined(separator: ", ") + ")")
        }
        return "CREATE TABLE \(qualified(name)) (" + parts.joined(separator: ", ") + ")"
    }

    func createIndex(_ index: IndexSpec, name: String, on table: String) -> String {
        "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(q(name)) ON \(qualified(table)) ("
            + index.columns.map(q).joined(separator: ", ") + ")"
    }

    /// Final index names: the source's name when it is free in the target schema, else `<table>_<cols>_idx`.
    func indexNames() throws(FerryError) -> [String] {
        var chosen: Set<String> = []
        var names: [String] = []
        for index in schema.indexes {
            var candidates: [String] = []
            if index.name.utf8.count <= 63 { candidates.append(index.name) }
            let base = PostgresSQL.truncateIdentifier(
                ([target.name] + index.columns).joined(separator: "_"), maxBytes: 63 - 4)
            candidates.append(base + "_idx")
            for n in 2...99 {
                let suffix = "_idx\(n)"
                candidates.append(PostgresSQL.truncateIdentifier(base, maxBytes: 63 - suffix.utf8.count) + suffix)
            }
            var picked: String?
            for candidate in candidates where !chosen.contains(candidate) {
                if try !nameTaken(candidate) {
                    picked = candidate
                    break
                }
            }
            guard let name = picked else {
                throw FerryError(
                    .schema,
                    "no free name for the index on (\(index.columns.joined(separator: ", "))) of \(label): "
                        + "\(base)_idx and \(base)_idx2 to _idx99 are all taken in schema \(schemaName); drop or "
                        + "rename the ones no longer needed",
                    table: label)
            }
            chosen.insert(name)
            names.append(name)
        }
        return names
    }

    // MARK: Staging swap

    private func stagingSwapPlan() throws(FerryError) -> PostgresWritePlan {
        let staging = Self.stagingName(target.name)
        var plan = PostgresWritePlan(
            encodingTable: TableName(schema: schemaName, name: staging), viaTempTable: false,
            copySQL: copySQL(into: qualified(staging)), staging: staging)
        plan.prepare = [
            "DROP TABLE IF EXISTS \(qualified(staging))",
            createTable(staging, withPrimaryKey: false, textForCasts: true),
        ]
        // Columns of a type Ferry writes only as text are loaded as text, then converted in place.
        for column in schema.columns where ddl(column).viaText {
            plan.finish.append(
                "ALTER TABLE \(qualified(staging)) ALTER COLUMN \(q(column.name)) TYPE \(ddl(column).ddl) USING "
                    + "\(q(column.name))::\(ddl(column).ddl)")
        }
        // Build the key and indexes on the staging table under provisional names, outside any transaction: the
        // old table stays readable meanwhile. The swap transaction then only renames.
        var renames: [String] = []
        if !schema.primaryKey.isEmpty {
            let provisional = PostgresSQL.truncateIdentifier(target.name, maxBytes: 63 - 14) + "__ferry_stg_pk"
            let final = try freeName(PostgresSQL.truncateIdentifier(target.name, maxBytes: 63 - 5) + "_pkey")
            plan.finish.append(
                "ALTER TABLE \(qualified(staging)) ADD CONSTRAINT \(q(provisional)) PRIMARY KEY ("
                    + schema.primaryKey.map(q).joined(separator: ", ") + ")")
            renames.append("ALTER TABLE \(qualified(target.name)) RENAME CONSTRAINT \(q(provisional)) TO \(q(final))")
        }
        for (i, (index, final)) in zip(schema.indexes, try indexNames()).enumerated() {
            let suffix = "__ferry_stg_\(i)"
            let provisional = PostgresSQL.truncateIdentifier(target.name, maxBytes: 63 - suffix.utf8.count) + suffix
            plan.finish.append(createIndex(index, name: provisional, on: staging))
            renames.append("ALTER INDEX \(qualified(provisional)) RENAME TO \(q(final))")
        }
        plan.finish.append("BEGIN")
        plan.finish.append("DROP TABLE IF EXISTS \(qualified(target.name))")
        plan.finish.append("ALTER TABLE \(qualified(staging)) RENAME TO \(q(target.name))")
        plan.finish += renames
        plan.finish.append("COMMIT")
        return plan
    }

    private func freeName(_ base: String) throws(FerryError) -> String {
        if try !nameTaken(base) { return base }
        for n in 1...99 {
            let suffix = String(n)
            let candidate = PostgresSQL.truncateIdentifier(base, maxBytes: 63 - suffix.utf8.count) + suffix
            if try !nameTaken(candidate) { return candidate }
        }
        throw FerryError(
            .schema,
            "no free name for the primary key of \(label): \(base) and \(base)1 to \(base)99 are all taken by other "
                + "tables, indexes or constraints in schema \(schemaName); drop or rename the ones no longer needed, "
                + "or give this table strategy: simple_copy, which keeps the target's own key",
            table: label)
    }

    // MARK: Transactional modes

    private func transactionalPlan() throws(FerryError) -> PostgresWritePlan {
        var prepare = ["BEGIN"]
        var finishDDL: [String] = []
        // The target's type for each source column, as DDL text, and whether it is reached through a cast.
        var targetTypes: [(ddl: String, viaText: Bool)] = []
        if let existing {
            prepare += try evolution(existing)
            for column in schema.columns {
                if let current = existing.column(named: column.name) {
                    targetTypes.append((current.formatType, current.viaText))
                } else {
                    targetTypes.append(ddl(column))
                }
            }
        } else {
            prepare.append(createTable(target.name, withPrimaryKey: true))
            for (index, name) in zip(schema.indexes, try indexNames()) {
                finishDDL.append(createIndex(index, name: name, on: target.name))
            }
            targetTypes = schema.columns.map(ddl)
        }
        if case .replace(.simpleCopy) = mode, existing != nil {
            prepare.append("TRUNCATE \(qualified(target.name))")
        }
        var upsertKey: [String]?
        if case .upsert(let key) = mode {
            try checkUpsertKey(key)
            upsertKey = key
        }
        let viaTemp = upsertKey != nil || targetTypes.contains { $0.viaText }
        let columns = schema.columns.map { q($0.name) }.joined(separator: ", ")
        var finish: [String] = []
        let copyInto: String
        if viaTemp {
            let temp = "pg_temp." + q(Self.tempTable)
            let definitions = zip(schema.columns, targetTypes).map { c, t in
                q(c.name) + " " + (t.viaText ? "text" : t.ddl)
            }
            prepare.append(
                "CREATE TEMP TABLE \(q(Self.tempTable)) (" + definitions.joined(separator: ", ") + ") ON COMMIT DROP")
            copyInto = temp
            let selectList = zip(schema.columns, targetTypes).map { c, t in
                t.viaText ? q(c.name) + "::" + t.ddl : q(c.name)
            }.joined(separator: ", ")
            finish.append(
                Self.insertSQL(
                    into: qualified(target.name), columns: columns, select: selectList, from: temp,
                    upsertKey: upsertKey, updating: schema.columns.map(\.name)))
        } else {
            copyInto = qualified(target.name)
        }
        finish += finishDDL
        finish.append("COMMIT")
        var plan = PostgresWritePlan(
            encodingTable: TableName(schema: schemaName, name: target.name), viaTempTable: viaTemp,
            copySQL: copySQL(into: copyInto))
        plan.prepare = prepare
        plan.finish = finish
        return plan
    }

    /// `INSERT INTO target (columns) SELECT select FROM source`; with an `upsertKey`, a row whose key exists updates
    /// the `updating` columns (key columns excepted) from the incoming row instead, and only those.
    static func insertSQL(
        into target: String, columns: String, select: String, from source: String, upsertKey: [String]?,
        updating: [String], overridingSystemValue: Bool = false
    ) -> String {
        // An identity column GENERATED ALWAYS takes the copied value only with OVERRIDING SYSTEM VALUE.
        let overriding = overridingSystemValue ? " OVERRIDING SYSTEM VALUE" : ""
        var insert = "INSERT INTO \(target) (\(columns))\(overriding) SELECT \(select) FROM \(source)"
        if let key = upsertKey {
            let q = PostgresSQL.quoteIdent
            let updates = updating.filter { !key.contains($0) }.map { "\(q($0)) = EXCLUDED.\(q($0))" }
            insert += " ON CONFLICT (" + key.map(q).joined(separator: ", ") + ") DO "
            insert += updates.isEmpty ? "NOTHING" : "UPDATE SET " + updates.joined(separator: ", ")
        }
        return insert
    }

    private func copySQL(into table: String) -> String {
        "COPY \(table) (" + schema.columns.map { q($0.name) }.joined(separator: ", ") + ") FROM STDIN (FORMAT binary)"
    }

    /// `ALTER TABLE … ADD COLUMN` for new source columns; a `.schema` error for a column whose source type does not
    /// fit the target's, or a NOT NULL target column the source does not have.
    func evolution(_ existing: PGTableInfo) throws(FerryError) -> [String] {
        var statements: [String] = []
        for column in schema.columns {
            if let current = existing.column(named: column.name) {
                guard column.type.widens(to: current.type) else {
                    let source = column.nativeType.map { "\(column.type) (\($0))" } ?? "\(column.type)"
                    throw FerryError(
                        .schema,
                        "column \(column.name) is \(source) in the source but \(current.formatType) in the target "
                            + "table \(label); alter the target column or run a full_replace with staging_swap to "
                            + "recreate the table",
                        table: label)
                }
            } else {
                let type = ddl(column).ddl
                statements.append("ALTER TABLE \(qualified(target.name)) ADD COLUMN \(q(column.name)) \(type)")
            }
        }
        for column in existing.columns where column.notNull && schema.column(named: column.name) == nil {
            throw FerryError(
                .schema,
                "target column \(column.name) of \(label) is NOT NULL but does not exist in the source; "
                    + "drop the column or make it nullable",
                table: label)
        }
        return statements
    }

    /// `ALTER COLUMN … DROP NOT NULL` for the target's NOT NULL columns (keys aside) that the schema says may be
    /// NULL.
    func droppingNotNull(_ existing: PGTableInfo) -> [String] {
        existing.columns.filter { column in
            column.notNull && !existing.primaryKey.contains(column.name)
                && schema.column(named: column.name)?.nullable == true
        }.map { "ALTER TABLE \(qualified(target.name)) ALTER COLUMN \(q($0.name)) DROP NOT NULL" }
    }

    func checkUpsertKey(_ key: [String]) throws(FerryError) {
        let wanted = Set(key)
        guard !key.isEmpty else {
            throw FerryError(
                .schema, "an upsert into \(label) needs a key; set primary_key in the config", table: label)
        }
        for name in key where schema.column(named: name) == nil {
            throw FerryError(
                .schema, "upsert key column \(name) does not exist in the source of \(label)", table: label)
        }
        let unique: Bool
        if let existing {
            unique =
                Set(existing.primaryKey) == wanted
                || existing.indexes.contains { $0.unique && Set($0.columns) == wanted }
        } else {
            unique = Set(schema.primaryKey) == wanted
        }
        guard unique else {
            throw FerryError(
                .schema,
                "the target table \(label) has no primary key or unique index on (\(key.joined(separator: ", "))) "
                    + "to upsert by; add one or run a full_replace with staging_swap to recreate the table",
                table: label)
        }
    }
}
