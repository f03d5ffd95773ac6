import FerryCore

/// One column as the catalog describes it.
struct PGColumnInfo: Sendable, Hashable {
    var name: String
    /// `format_type(atttypid, atttypmod)`: the type as a user would write it.
    var formatType: String
    /// The type OID whose binary format the column uses (a domain's base type).
    var typeOID: UInt32
    var typmod: Int32
    var notNull: Bool
    var type: ColumnType
    /// Written through a text cast: Ferry has no binary encoder for the type (`PGValueForm.binaryWritable`).
    var viaText: Bool
    /// How values are read (`PGValueForm.text`: as `format('%s', col)`).
    var form: PGValueForm = .native
    /// A stored generated column (`GENERATED ALWAYS AS … STORED`), which logical replication does not carry.
    var generated = false
}

/// A table (or view) as the catalog describes it.
struct PGTableInfo: Sendable {
    var oid: UInt32
    var schemaName: String
    var name: String
    var columns: [PGColumnInfo]
    var primaryKey: [String]
    var primaryKeyConstraint: String?
    var indexes: [IndexSpec]

    /// `"schema"."name"`.
    var qualified: String { PostgresSQL.quoteIdent(schemaName) + "." + PostgresSQL.quoteIdent(name) }
    /// `schema.name`, for messages.
    var label: String { "\(schemaName).\(name)" }

    var schema: TableSchema {
        TableSchema(
            columns: columns.map {
                Column(name: $0.name, type: $0.type, nullable: !$0.notNull, nativeType: $0.formatType)
            },
            primaryKey: primaryKey, indexes: indexes)
    }

    func column(named name: String) -> PGColumnInfo? { columns.first { $0.name == name } }

    /// The table as a change stream carries it: pgoutput (before PostgreSQL 18) leaves stored generated columns
    /// out, so CDC leaves them out of the snapshot too, and the indexes that use them.
    var streamedColumns: PGTableInfo {
        var out = self
        out.columns.removeAll(where: \.generated)
        let kept = Set(out.columns.map(\.name))
        out.indexes.removeAll { !$0.columns.allSatisfy(kept.contains) }
        return out
    }
}

/// Reads table definitions from `pg_catalog`, inside whatever transaction (snapshot) the connection has open.
enum PostgresCatalog {
    /// Relation kinds a source can read: tables, partitioned tables, views, materialized views, foreign tables.
    static let readableKinds = "'r','p','v','m','f'"
    /// Relation kinds a destination writes to.
    static let tableKinds = "'r','p'"

    /// The schema name a `TableName` without one resolves to.
    static func resolvedSchema(_ conn: PGConnection, _ table: TableName) throws(FerryError) -> String {
        if let schema = table.schema { return schema }
        let rows = try conn.exec(
            "SELECT current_schema()", context: "resolving the current schema", table: table.description)
        return rows.scalar ?? "public"
    }

    /// The OID of `schema.name` among `kinds`, or `nil` when there is none.
    static func relationOID(
        _ conn: PGConnection, schema: String, name: String, kinds: String, context: String
    ) throws(FerryError) -> UInt32? {
        let rows = try conn.execParams(
            """
            SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN (\(kinds))
            """, [schema, name], context: context, table: "\(schema).\(name)")
        return rows.scalar.flatMap { UInt32($0) }
    }

    /// Whether any relation (table, index, sequence, …) named `name` exists in `schema`: index names share that
    /// namespace.
    static func relationNameTaken(
        _ conn: PGConnection, schema: String, name: String, context: String
    ) throws(FerryError) -> Bool {
        let rows = try conn.execParams(
            """
            SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2
            """, [schema, name], context: context, table: "\(schema).\(name)")
        return !rows.rows.isEmpty
    }

    /// Columns (attnum order, no dropped or system columns), primary key (key order) and plain btree indexes
    /// (no expression, partial or non-btree ones, which Ferry cannot recreate faithfully). `nil` when missing.
    static func describe(
        _ conn: PGConnection, _ table: TableName, kinds: String = readableKinds
    ) throws(FerryError) -> PGTableInfo? {
        let schema = try resolvedSchema(conn, table)
        let label = "\(schema).\(table.name)"
        let context = "reading the definition of \(label)"
        guard let oid = try relationOID(conn, schema: schema, name: table.name, kinds: kinds, context: context) else {
            return nil
        }
        let oidText = String(oid)
        let columnRows = try conn.execParams(
            """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,
                   CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
                   a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), a.attgenerated <> '', a.attndims
            FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [oidText], context: context, table: label)
        var columns: [PGColumnInfo] = []
        var resolver = PostgresTypeResolver(conn: conn, table: label)
        for row in columnRows.rows {
            guard row.count == 7, let name = row[0], let format = row[1], let typeOID = row[2].flatMap({ UInt32($0) }),
                let typmod = row[3].flatMap({ Int32($0) })
            else { continue }
            let dimensions = row[6].flatMap { Int32($0) } ?? 0
            let (type, form) = try resolver.resolve(oid: typeOID, typmod: typmod, dimensions: dimensions)
            columns.append(
                PGColumnInfo(
                    name: name, formatType: format, typeOID: typeOID, typmod: typmod, notNull: row[4] == "t",
                    type: type, viaText: !form.binaryWritable, form: form, generated: row[5] == "t"))
        }
        let keyRows = try conn.execParams(
            """
            SELECT con.conname, a.attname
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.contype = 'p'
            CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND i.indisprimary
            ORDER BY k.ord
            """, [oidText], context: context, table: label)
        let primaryKey = keyRows.rows.compactMap { $0.count == 2 ? $0[1] : nil }
        let primaryKeyConstraint = keyRows.rows.first?.first ?? nil
        let indexRows = try conn.execParams(
            """
            SELECT ic.relname, i.indisunique, a.attname
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_catalog.pg_am am ON am.oid = ic.relam
            CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND NOT i.indisprimary AND i.indisvalid AND am.amname = 'btree'
              AND i.indexprs IS NULL AND i.indpred IS NULL AND k.ord <= i.indnkeyatts
            ORDER BY ic.relname, k.ord
            """, [oidText], context: context, table: label)
        var indexes: [IndexSpec] = []
        for row in indexRows.rows {
            guard row.count == 3, let name = row[0], let column = row[2] else { continue }
            if let last = indexes.indices.last, indexes[last].name == name {
                indexes[last].columns.append(column)
            } else {
                indexes.append(IndexSpec(name: name, columns: [column], unique: row[1] == "t"))
            }
        }
        return PGTableInfo(
            oid: oid, schemaName: schema, name: table.name, columns: columns, primaryKey: primaryKey,
            primaryKeyConstraint: primaryKeyConstraint, indexes: indexes)
    }
}
