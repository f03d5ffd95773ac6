import FerryCore

/// Change sets (CDC) applied to PostgreSQL.
///
/// One transaction holds the DDL (PostgreSQL's DDL is transactional), the truncate, the deletes, the upserts and
/// the stored position, so the rows and the position can never disagree: a crash anywhere leaves the old rows at
/// the old position, and the replay after it applies the set exactly once.
extension PostgresTableWriter: ChangeWriter {
    /// One row per (pipeline, table): the source position the table's rows reach. It lives in the target table's
    /// schema so that it is written in the same transaction as the rows and goes wherever they go.
    static let positionsTable = "_ferry_positions"
    /// Rows per batch while staging a change set (memory: one batch on top of the change set).
    static let stagingBatchRows = 4096

    private var schemaName: String { table.schema ?? "public" }
    private var positions: String {
        PostgresSQL.quoteIdent(schemaName) + "." + PostgresSQL.quoteIdent(Self.positionsTable)
    }

    func appliedPosition(pipeline: String) throws(FerryError) -> LSN? {
        let oid = try PostgresCatalog.relationOID(
            conn, schema: schemaName, name: Self.positionsTable, kinds: PostgresCatalog.tableKinds,
            context: "looking for \(schemaName).\(Self.positionsTable)")
        guard oid != nil else { return nil }
        return try storedPosition(pipeline: pipeline, lock: false)
    }

    func apply(
        _ changes: ChangeSet, schema: TableSchema, at position: ChangePosition, pipeline: String
    ) throws(FerryError) -> Bool {
        let held = try appliedPosition(pipeline: pipeline)
        guard try position.needsApplying(over: held, schema: schema, table: label) else { return false }
        try conn.exec("BEGIN", context: "starting to apply changes to \(label)", table: label)
        do throws(FerryError) {
            guard try applyInTransaction(changes, schema: schema, position: position, pipeline: pipeline) else {
                try conn.exec("ROLLBACK", context: "skipping changes already applied to \(label)", table: label)
                return false
            }
            try conn.exec("COMMIT", context: "committing changes to \(label)", table: label)
            return true
        } catch {
            if conn.isOpen && conn.inTransaction {
                _ = try? conn.exec("ROLLBACK", context: "rolling back changes to \(label)", table: label)
            }
            throw error
        }
    }

    /// Everything but BEGIN and COMMIT; `false` when the stored position turns out to hold `position` (another
    /// writer got there first).
    private func applyInTransaction(
        _ changes: ChangeSet, schema: TableSchema, position: ChangePosition, pipeline: String
    ) throws(FerryError) -> Bool {
        try conn.exec(
            """
            CREATE TABLE IF NOT EXISTS \(positions) (pipeline text NOT NULL, table_name text NOT NULL,
                "position" pg_lsn NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (pipeline, table_name))
            """, context: "creating \(schemaName).\(Self.positionsTable)", table: label)
        // Locks the position row (when there is one), so two appliers of the same pipeline take turns.
        if let done = try storedPosition(pipeline: pipeline, lock: true), position.isHeld(by: done) { return false }
        for sql in try planner(schema: schema, mode: .upsert(key: schema.primaryKey)).changeSetDefinition() {
            try conn.exec(sql, context: "preparing \(label) for changes", table: label)
        }
        guard let target = try describeTarget() else {
            throw FerryError(.integrity, "the table vanished while preparing to apply changes", table: label)
        }
        var targets: [PGColumnInfo] = []
        for column in schema.columns {
            guard let info = target.column(named: column.name) else {
                throw FerryError(.schema, "column \(column.name) is missing after preparing the table", table: label)
            }
            targets.append(info)
        }
        let keyIndexes = schema.primaryKey.compactMap { schema.index(of: $0) }
        // Staging comes first: the first COPY lifts the statement timeout for the long statements after it.
        var statements: [String] = []
        if changes.truncated { statements.append("TRUNCATE \(qualified)") }
        if !changes.deletes.isEmpty {
            let gone = "__ferry_cdc_gone"
            let keys = TableSchema(columns: keyIndexes.map { schema.columns[$0] }, primaryKey: schema.primaryKey)
            try stage(
                changes.deletes, indexes: Array(keyIndexes.indices), of: keys, targets: keyIndexes.map { targets[$0] },
                into: gone)
            let match = keyIndexes.map { i in
                let name = PostgresSQL.quoteIdent(schema.columns[i].name)
                return "t.\(name) = " + castIfText("g.\(name)", targets[i])
            }
            statements.append(
                "DELETE FROM \(qualified) AS t USING pg_temp.\(PostgresSQL.quoteIdent(gone)) AS g WHERE "
                    + match.joined(separator: " AND "))
        }
        for (n, (unchanged, rows)) in changes.upserts.enumerated() where !rows.isEmpty {
            if let k = keyIndexes.first(where: { unchanged.contains($0) }) {
                throw FerryError(
                    .data, "changed rows left their key column \(schema.columns[k].name) unsent (unchanged)",
                    table: label)
            }
            let sent = schema.columns.indices.filter { !unchanged.contains($0) }
            let temp = "__ferry_cdc_rows_\(n)"
            try stage(rows, indexes: sent, of: schema, targets: sent.map { targets[$0] }, into: temp)
            statements.append(upsertSQL(from: temp, sent: Set(sent), schema: schema, targets: targets, target: target))
        }
        for sql in statements {
            try conn.exec(sql, context: "applying changes to \(label)", table: label)
        }
        guard let position = position.stored else { return true }
        let stored = try conn.execParams(
            """
            INSERT INTO \(positions) AS p (pipeline, table_name, "position", updated_at)
            VALUES ($1, $2, $3::pg_lsn, now())
            ON CONFLICT (pipeline, table_name) DO UPDATE SET "position" = EXCLUDED."position",
                updated_at = EXCLUDED.updated_at
            WHERE p."position" < EXCLUDED."position"
            """, [pipeline, table.name, position.description], context: "storing the position of \(label)",
            table: label)
        return stored.affectedRows == 1
    }

    private func storedPosition(pipeline: String, lock: Bool) throws(FerryError) -> LSN? {
        let rows = try conn.execParams(
            "SELECT \"position\"::text FROM \(positions) WHERE pipeline = $1 AND table_name = $2"
                + (lock ? " FOR UPDATE" : ""),
            [pipeline, table.name], context: "reading the applied position of \(label)", table: label)
        guard let text = rows.scalar else { return nil }
        guard let lsn = LSN(text) else {
            throw FerryError(
                .data, "the position stored in \(schemaName).\(Self.positionsTable) is '\(text)', not an LSN",
                table: label)
        }
        return lsn
    }

    /// `expression::type` when the target column is reached through text (see `PGColumnInfo.viaText`).
    private func castIfText(_ expression: String, _ target: PGColumnInfo) -> String {
        target.viaText ? expression + "::" + target.formatType : expression
    }

    /// The upsert of one group of rows staged in `temp`: the sent columns are written; the unsent (unchanged) ones
    /// keep their value when the key exists and are NULL when it does not, and so are target columns `schema`
    /// lacks (an upserted row is the source's whole row).
    ///
    /// The unsent columns of the incoming row are read from the current row (a left join) rather than left NULL:
    /// PostgreSQL checks NOT NULL on the incoming row before it looks for a conflict.
    private func upsertSQL(
        from temp: String, sent: Set<Int>, schema: TableSchema, targets: [PGColumnInfo], target: PGTableInfo
    ) -> String {
        let q = PostgresSQL.quoteIdent
        var names: [String] = []
        var values: [String] = []
        var updating: [String] = []
        for (i, column) in schema.columns.enumerated() {
            names.append(column.name)
            if sent.contains(i) {
                values.append(castIfText("s." + q(column.name), targets[i]))
                updating.append(column.name)
            } else {
                values.append("cur." + q(column.name))
            }
        }
        for extra in target.columns where schema.column(named: extra.name) == nil {
            names.append(extra.name)
            values.append("NULL::" + extra.formatType)
            updating.append(extra.name)
        }
        var source = "pg_temp.\(q(temp)) AS s"
        if sent.count < schema.columns.count {
            let match = schema.primaryKey.compactMap { schema.index(of: $0) }.map { i in
                "cur.\(q(schema.columns[i].name)) = " + castIfText("s." + q(schema.columns[i].name), targets[i])
            }
            source += " LEFT JOIN \(qualified) AS cur ON " + match.joined(separator: " AND ")
        }
        return PostgresWritePlanner.insertSQL(
            into: qualified, columns: names.map(q).joined(separator: ", "), select: values.joined(separator: ", "),
            from: source, upsertKey: schema.primaryKey, updating: updating)
    }

    /// Creates the temp table `name` (dropped at commit) with the columns of `rowSchema` at `indexes`, typed as
    /// their `targets`, and COPYs each row's values at `indexes` into it. Binary COPY must match the target types
    /// exactly (postgres-wire.md A.5), so the encoding follows `targets`, not the source.
    private func stage(
        _ rows: [[ScalarValue?]], indexes: [Int], of rowSchema: TableSchema, targets: [PGColumnInfo],
        into name: String
    ) throws(FerryError) {
        let q = PostgresSQL.quoteIdent
        let columns = indexes.map { rowSchema.columns[$0] }
        let definitions = zip(columns, targets).map { column, target in
            q(column.name) + " " + (target.viaText ? "text" : target.formatType)
        }
        let conn = self.conn
        let label = self.label
        let context = "staging changes to \(label)"
        try conn.exec(
            "CREATE TEMP TABLE \(q(name)) (\(definitions.joined(separator: ", "))) ON COMMIT DROP", context: context,
            table: label)
        let copyTargets = targets.map { target in
            CopyTargetColumn(
                name: target.name, typeOID: target.viaText ? PostgresTypes.text : target.typeOID,
                typeName: target.viaText ? "text" : target.formatType, type: target.viaText ? .text : target.type,
                form: target.viaText ? .native : target.form)
        }
        var encoder = try BinaryCopyEncoder(source: columns, target: copyTargets, table: label)
        let columnList = columns.map { q($0.name) }.joined(separator: ", ")
        try conn.beginCopyIn(
            "COPY pg_temp.\(q(name)) (\(columnList)) FROM STDIN (FORMAT binary)", context: context, table: label)
        do throws(FerryError) {
            let flush = { (buffer: inout [UInt8]) throws(FerryError) in
                try conn.putCopyData(buffer, context: context, table: label)
                buffer.removeAll(keepingCapacity: true)
            }
            encoder.appendHeader()
            try ChangeSet.batches(
                rows, indexes: indexes, of: rowSchema, batchSize: Self.stagingBatchRows, table: label
            ) { (batch: RecordBatch) throws(FerryError) in
                try encoder.append(batch, flush: flush)
            }
            encoder.appendTrailer()
            try flush(&encoder.buffer)
            _ = try conn.endCopyIn(context: context, table: label)
        } catch {
            conn.abortCopyIn(reason: "Ferry abandoned the change set")
            throw error
        }
    }
}

extension PostgresWritePlanner {
    /// The DDL that makes the target fit a change set's schema, run inside the apply's transaction: `CREATE TABLE`
    /// with the key and indexes when the table is missing, `ADD COLUMN` for new columns and `DROP NOT NULL` for
    /// columns that may now be NULL otherwise.
    ///
    /// - Throws: a `.schema` error naming the column when a type change does not widen, and when the target has
    ///   no primary key or unique index on the key to upsert by.
    func changeSetDefinition() throws(FerryError) -> [String] {
        guard case .upsert(let key) = mode else {
            throw FerryError(.integrity, "change sets are applied by key", table: target.description)
        }
        guard let existing else {
            let indexes = zip(schema.indexes, try indexNames()).map { index, name in
                createIndex(index, name: name, on: target.name)
            }
            return [createTable(target.name, withPrimaryKey: true)] + indexes
        }
        // A column the source dropped stays, NULL in the rows written from now on; so does one the source made
        // nullable.
        let statements = try evolution(existing) + droppingNotNull(existing)
        try checkUpsertKey(key)
        return statements
    }
}
