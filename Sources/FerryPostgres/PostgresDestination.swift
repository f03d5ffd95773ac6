public import FerryCore

/// Writes tables into PostgreSQL with binary COPY, in one transaction per table (or one staging table swapped in
/// by rename), so a failed or interrupted run leaves the target as it was.
public struct PostgresDestination: Destination {
    public let config: PostgresConnectionConfig

    public init(config: PostgresConnectionConfig) {
        self.config = config
    }

    /// Opens a connection for `table`; nothing is created until `begin`.
    public func openWriter(_ table: TableName) throws(FerryError) -> any TableWriter {
        let conn = try PGConnection(config: config)
        do throws(FerryError) {
            let schema = try PostgresCatalog.resolvedSchema(conn, table)
            return PostgresTableWriter(conn: conn, table: TableName(schema: schema, name: table.name))
        } catch {
            conn.close()
            throw error
        }
    }
}

/// One table written through one connection. Used by one thread at a time (see `PGConnection`).
final class PostgresTableWriter: TableWriter {
    let conn: PGConnection
    /// The target, with its schema resolved.
    let table: TableName
    private var plan: PostgresWritePlan?
    private var encoder: BinaryCopyEncoder?
    var copying = false
    private var rowsWritten: Int64 = 0
    /// The write `beginNative` started (a PostgreSQL -> PostgreSQL copy), finished by `commit`.
    var nativePlan: PostgresNativeWritePlan?

    init(conn: PGConnection, table: TableName) {
        self.conn = conn
        self.table = table
    }

    var label: String { table.description }
    var qualified: String { PostgresSQL.qualifiedName(table) }

    func describeTarget() throws(FerryError) -> PGTableInfo? {
        try PostgresCatalog.describe(conn, table, kinds: PostgresCatalog.tableKinds)
    }

    func existingSchema() throws(FerryError) -> TableSchema? {
        try describeTarget()?.schema
    }

    func rowCount() throws(FerryError) -> Int64 {
        guard try describeTarget() != nil else { return 0 }
        let rows = try conn.exec(
            "SELECT count(*) FROM \(qualified)", context: "counting rows of \(label)", table: label)
        return rows.scalar.flatMap { Int64($0) } ?? 0
    }

    func maxValue(of column: String, type: ColumnType) throws(FerryError) -> ScalarValue? {
        guard let existing = try describeTarget() else { return nil }
        guard existing.column(named: column) != nil else {
            throw FerryError(
                .schema, "column \(column) does not exist in the target table \(label) (check incremental_column)",
                table: label)
        }
        // The session pins TimeZone=UTC and DateStyle=ISO, so the text form is exact and unambiguous.
        let rows = try conn.exec(
            "SELECT max(\(PostgresSQL.quoteIdent(column)))::text FROM \(qualified)",
            context: "reading max(\(column)) of \(label)", table: label)
        guard let text = rows.scalar else { return nil }
        guard let value = Self.parse(text, as: type) else {
            throw FerryError(
                .data,
                "max(\(column)) of \(label) is '\(text)', which Ferry cannot read as \(type); "
                    + "fix that value in the target or run a full_replace",
                table: label)
        }
        return value
    }

    /// Reads a PostgreSQL text rendering (ISO dates, UTC timestamps) back into a typed value.
    static func parse(_ text: String, as type: ColumnType) -> ScalarValue? {
        switch type {
        case .boolean: return text == "true" || text == "t" ? .int(1) : (text == "false" || text == "f" ? .int(0) : nil)
        case .int16, .int32, .int64: return Int64(text).map { .int($0) }
        case .float32, .float64: return Double(text).map { .double($0) }
        case .decimal(let p, let s):
            return DecimalText.parse(text, scale: s, precision: p).map { .decimal($0, scale: s) }
        case .date: return TimeText.parseDate(text).map { .date($0) }
        case .time: return TimeText.parseTime(text).map { .int($0) }
        case .timestamp: return TimeText.parseTimestamp(text).map { .timestamp($0.micros, zoned: false) }
        case .timestampTZ: return TimeText.parseTimestamp(text).map { .timestamp($0.micros, zoned: true) }
        case .numeric, .text, .bytes, .uuid, .json, .jsonb: return .text(text)
        case .list, .structure: return nil
        }
    }

    func recover() throws(FerryError) {
        guard let schema = table.schema else { return }
        for name in [PostgresWritePlanner.stagingName(table.name), PostgresWritePlanner.oldName(table.name)] {
            try conn.exec(
                "DROP TABLE IF EXISTS \(PostgresSQL.quoteIdent(schema)).\(PostgresSQL.quoteIdent(name))",
                context: "dropping the leftover table \(schema).\(name)", table: label)
        }
    }

    func planner(schema: TableSchema, mode: WriteMode) throws(FerryError) -> PostgresWritePlanner {
        let existing = try describeTarget()
        let schemaName = table.schema ?? "public"
        let conn = self.conn
        let label = self.label
        let targetOID = existing.map { String($0.oid) }
        return PostgresWritePlanner(
            target: table, existing: existing, schema: schema, mode: mode, nativeTypes: try nativeTypes(schema),
            nameTaken: { (name: String) throws(FerryError) -> Bool in
                let rows = try conn.execParams(
                    """
                    SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $1 AND c.relname = $2 AND NOT EXISTS (
                        SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = c.oid AND i.indrelid = $3::oid)
                    """, [schemaName, name, targetOID], context: "choosing index names for \(label)", table: label)
                return !rows.rows.isEmpty
            })
    }

    /// What the target's catalog makes of the native type spellings of `schema`'s columns that Ferry does not map
    /// itself (`interval`, an enum, `posint[]`), for `PostgresTypes.ddl(for:nativeTypes:)`: a Delta or PostgreSQL
    /// source's original type is recreated when the target has it. Each lookup runs under a savepoint inside a
    /// transaction, so a spelling the server cannot parse costs nothing.
    func nativeTypes(_ schema: TableSchema) throws(FerryError) -> [String: (type: ColumnType, form: PGValueForm)] {
        var out: [String: (type: ColumnType, form: PGValueForm)] = [:]
        var resolver = PostgresTypeResolver(conn: conn, table: label)
        for column in schema.columns where column.type == .text || column.type.isNested {
            guard let native = column.nativeType, out[native] == nil, PostgresTypes.isTypeNameCandidate(native),
                PostgresTypes.ddl(for: column, nativeTypes: [:]).ddl != native
            else { continue }
            let savepoint = conn.inTransaction
            if savepoint { try conn.exec("SAVEPOINT ferry_type", context: "looking up type \(native)", table: label) }
            let rows = try? conn.execParams(
                "SELECT to_regtype($1)::oid", [native], context: "looking up type \(native)", table: label)
            if savepoint {
                try conn.exec(
                    rows == nil ? "ROLLBACK TO SAVEPOINT ferry_type" : "RELEASE SAVEPOINT ferry_type",
                    context: "looking up type \(native)", table: label)
            }
            guard let oid = rows?.scalar.flatMap({ UInt32($0) }) else { continue }
            out[native] = try resolver.resolve(oid: oid, typmod: -1)
        }
        return out
    }

    func describeWrite(schema: TableSchema, mode: WriteMode) -> [String] {
        do throws(FerryError) {
            return try planner(schema: schema, mode: mode).plan().statements
        } catch {
            return ["-- the write would fail: \(error.message)"]
        }
    }

    func begin(schema: TableSchema, mode: WriteMode) throws(FerryError) {
        do throws(FerryError) {
            let plan = try planner(schema: schema, mode: mode).plan()
            self.plan = plan
            for sql in plan.prepare {
                try conn.exec(sql, context: "preparing the write into \(label)", table: label)
            }
            guard let info = try PostgresCatalog.describe(conn, plan.encodingTable, kinds: PostgresCatalog.tableKinds)
            else {
                throw FerryError(.integrity, "the table \(plan.encodingTable) vanished while preparing", table: label)
            }
            var targets: [CopyTargetColumn] = []
            for column in schema.columns {
                guard let target = info.column(named: column.name) else {
                    throw FerryError(
                        .schema, "column \(column.name) is missing from \(plan.encodingTable) after preparing",
                        table: label)
                }
                let viaText = plan.viaTempTable && target.viaText
                targets.append(
                    CopyTargetColumn(
                        name: target.name, typeOID: viaText ? PostgresTypes.text : target.typeOID,
                        typeName: viaText ? "text" : target.formatType, type: viaText ? .text : target.type,
                        form: viaText ? .native : target.form))
            }
            var encoder = try BinaryCopyEncoder(source: schema.columns, target: targets, table: label)
            try conn.beginCopyIn(plan.copySQL, context: "starting to load \(label)", table: label)
            copying = true
            encoder.appendHeader()
            self.encoder = encoder
            rowsWritten = 0
        } catch {
            abort()
            throw error
        }
    }

    func write(_ batch: RecordBatch) throws(FerryError) {
        guard copying, var encoder else {
            throw FerryError(.integrity, "write without begin", table: label)
        }
        self.encoder = nil  // keep the buffer uniquely referenced while it grows
        let conn = self.conn
        let label = self.label
        let flush = { (buffer: inout [UInt8]) throws(FerryError) in
            try conn.putCopyData(buffer, context: "loading \(label)", table: label)
            buffer.removeAll(keepingCapacity: true)
        }
        do throws(FerryError) {
            try encoder.append(batch, flush: flush)
            try flush(&encoder.buffer)
        } catch {
            self.encoder = encoder
            throw error
        }
        self.encoder = encoder
    }

    func commit() throws(FerryError) -> Int64 {
        if nativePlan != nil { return try commitNative() }
        guard copying, var encoder, let plan else {
            throw FerryError(.integrity, "commit without begin", table: label)
        }
        do throws(FerryError) {
            encoder.appendTrailer()
            let conn = self.conn
            let label = self.label
            try conn.putCopyData(encoder.buffer, context: "loading \(label)", table: label)
            self.encoder = nil
            rowsWritten = try finishCopy(then: plan.finish)
        } catch {
            abort()
            throw error
        }
        self.plan = nil
        return rowsWritten
    }

    /// Ends the COPY successfully and runs `finish` (index builds, swap, COMMIT); returns the rows the server stored.
    func finishCopy(then finish: [String]) throws(FerryError) -> Int64 {
        copying = false
        let written = try conn.endCopyIn(context: "loading \(label)", table: label)
        for sql in finish {
            try conn.exec(sql, context: "committing \(label)", table: label)
        }
        return written
    }

    /// Ends the COPY with an error, rolls back, and drops the staging table: the target is as it was.
    func abort() {
        if copying {
            conn.abortCopyIn(reason: "Ferry aborted the load")
            copying = false
        }
        encoder = nil
        if conn.isOpen && conn.inTransaction {
            _ = try? conn.exec("ROLLBACK", context: "rolling back \(label)", table: label)
        }
        if let staging = plan?.staging ?? nativePlan?.staging, conn.isOpen, let schema = table.schema {
            _ = try? conn.exec(
                "DROP TABLE IF EXISTS \(PostgresSQL.quoteIdent(schema)).\(PostgresSQL.quoteIdent(staging))",
                context: "dropping the staging table of \(label)", table: label)
        }
        plan = nil
        nativePlan = nil
    }

    func close() {
        if plan != nil || nativePlan != nil { abort() }
        conn.close()
    }
}
