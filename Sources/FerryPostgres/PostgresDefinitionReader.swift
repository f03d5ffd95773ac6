import FerryCore
import Foundation

/// Reads a `PostgresTableDefinition` from `pg_catalog`, inside whatever transaction the connection has open.
///
/// The catalog's own deparsers (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`,
/// `pg_get_partkeydef`) run with `search_path = pg_catalog`, as pg_dump runs them, so every user object in the text is
/// schema-qualified and means the same in another database; the caller's search path is restored afterwards.
struct PostgresDefinitionReader {
    let conn: PGConnection
    let label: String

    /// Marks the error of a definition with a type Ferry cannot recreate (a base type outside any extension): the
    /// table then takes the portable path.
    static let unrecreatable = "ferry-unrecreatable"

    /// First OID of user-created objects (`FirstNormalObjectId`): below it, OIDs are the same in every database.
    static let firstUserOID: UInt32 = 16384

    static func read(_ conn: PGConnection, schema: String, name: String) throws(FerryError) -> PostgresTableDefinition?
    {
        let reader = PostgresDefinitionReader(conn: conn, label: "\(schema).\(name)")
        let saved =
            try conn.exec("SELECT current_setting('search_path')", context: reader.context, table: reader.label)
            .scalar ?? "\"$user\", public"
        try conn.exec(
            "SELECT pg_catalog.set_config('search_path', 'pg_catalog', true)", context: reader.context,
            table: reader.label)
        defer {
            _ = try? conn.execParams(
                "SELECT pg_catalog.set_config('search_path', $1, true)", [saved], context: reader.context,
                table: reader.label)
        }
        guard
            let oid = try PostgresCatalog.relationOID(
                conn, schema: schema, name: name, kinds: PostgresCatalog.tableKinds, context: reader.context)
        else { return nil }
        var typeOIDs: [UInt32] = []
        var definition = try reader.table(oid: oid, schema: schema, name: name, typeOIDs: &typeOIDs)
        var types: [PostgresTypeDefinition] = []
        var extensions: [PostgresTableDefinition.Extension] = []
        var seen: Set<UInt32> = []
        for typeOID in typeOIDs {
            try reader.collectType(typeOID, into: &types, extensions: &extensions, seen: &seen)
        }
        definition.types = types
        definition.extensions = extensions
        return definition
    }

    var context: String { "reading the definition of \(label)" }

    private func rows(_ sql: String, _ params: [String?]) throws(FerryError) -> [[String?]] {
        try conn.execParams(sql, params, context: context, table: label).rows
    }

    /// The table at `oid` and, for a partitioned table, its partitions; the user-defined types its columns use are
    /// appended to `typeOIDs`.
    private func table(
        oid: UInt32, schema: String, name: String, typeOIDs: inout [UInt32]
    ) throws(FerryError) -> PostgresTableDefinition {
        let o = String(oid)
        let relation = try rows(
            """
            SELECT c.relkind, pg_catalog.obj_description(c.oid, 'pg_class'), c.relreplident,
                   CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
                   (SELECT ic.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = c.oid AND i.indisreplident),
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1
            """, [o])
        guard let r = relation.first, r.count == 6, let printed = r[5] else {
            throw FerryError(.schema, "\(label) vanished while its definition was read", table: label)
        }
        var binary = true
        let columns = try self.columns(o, typeOIDs: &typeOIDs, binary: &binary)
        var definition = PostgresTableDefinition(
            schema: schema, name: name, printedName: printed, columns: columns, constraints: try constraints(o),
            indexes: try indexes(o),
            sequences: try sequences(o), partitionKey: r[3], partitions: [], comment: r[1],
            replicaIdentity: r[2] ?? "d", replicaIdentityIndex: r[4], types: [], extensions: [], binaryCopy: binary)
        if r[0] == "p" {
            let children = try rows(
                """
                SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
                FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class c ON c.oid = h.inhrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE h.inhparent = $1 ORDER BY c.relname
                """, [o])
            for child in children {
                guard child.count == 4, let childOID = child[0].flatMap({ UInt32($0) }), let s = child[1],
                    let n = child[2], let bound = child[3]
                else { continue }
                var part = try table(oid: childOID, schema: s, name: n, typeOIDs: &typeOIDs)
                // A partition inherits its parent's columns, defaults and constraints: only its own are kept.
                part.constraints.removeAll { c in definition.constraints.contains { $0.name == c.name } }
                definition.binaryCopy = definition.binaryCopy && part.binaryCopy
                definition.partitions.append(PostgresTableDefinition.Partition(definition: part, bound: bound))
            }
        }
        return definition
    }

    private func columns(
        _ o: String, typeOIDs: inout [UInt32], binary: inout Bool
    ) throws(FerryError) -> [PostgresTableDefinition.Column] {
        // A column's values travel as binary COPY only when their binary form is the same in every database:
        // a type with send/receive functions that embeds no OID of a user-defined type (arrays and records carry
        // their element types' OIDs).
        let result = try rows(
            """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                        THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END,
                   a.attnotnull, CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                   NULLIF(a.attidentity, ''),
                   CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                   pg_catalog.col_description(a.attrelid, a.attnum), a.atttypid,
                   (b.typsend <> 0 AND b.typreceive <> 0 AND b.typtype <> 'c'
                    AND (b.typelem = 0 OR b.typlen > 0 OR b.typelem < 16384)) AS portable
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [o])
        var columns: [PostgresTableDefinition.Column] = []
        for row in result {
            guard row.count == 10, let name = row[0], let type = row[1] else { continue }
            columns.append(
                PostgresTableDefinition.Column(
                    name: name, type: type, collation: row[2], notNull: row[3] == "t", defaultExpression: row[4],
                    identity: row[5], generatedExpression: row[6], comment: row[7]))
            if let typeOID = row[8].flatMap({ UInt32($0) }), typeOID >= Self.firstUserOID, !typeOIDs.contains(typeOID) {
                typeOIDs.append(typeOID)
            }
            if row[9] != "t" { binary = false }
        }
        return columns
    }

    private func constraints(_ o: String) throws(FerryError) -> [PostgresTableDefinition.Constraint] {
        try rows(
            """
            SELECT con.conname, con.contype, pg_catalog.pg_get_constraintdef(con.oid), fn.nspname, fc.relname
            FROM pg_catalog.pg_constraint con
            LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
            LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
            WHERE con.conrelid = $1 AND con.contype IN ('p', 'u', 'c', 'x', 'f') AND con.conislocal
              AND con.conparentid = 0
            ORDER BY con.conname
            """, [o]
        ).compactMap { row in
            guard row.count == 5, let name = row[0], let kind = row[1], let definition = row[2] else { return nil }
            return PostgresTableDefinition.Constraint(
                name: name, kind: kind, definition: definition, referencedSchema: row[3], referencedTable: row[4])
        }
    }

    /// Indexes that no constraint owns and that are not a partition's share of its parent's index.
    private func indexes(_ o: String) throws(FerryError) -> [PostgresTableDefinition.Index] {
        try rows(
            """
            SELECT ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid)
            FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = $1
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                              WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p','u','x'))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
            ORDER BY ic.relname
            """, [o]
        ).compactMap { row in
            guard row.count == 2, let name = row[0], let definition = row[1] else { return nil }
            return PostgresTableDefinition.Index(name: name, definition: definition)
        }
    }

    /// The sequences the table's columns own: identity sequences and serial ones (`OWNED BY`), with where each
    /// stands now.
    private func sequences(_ o: String) throws(FerryError) -> [PostgresTableDefinition.Sequence] {
        let result = try rows(
            """
            SELECT sn.nspname, s.relname, a.attname, d.deptype = 'i', pg_catalog.format_type(q.seqtypid, NULL),
                   q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid
            JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.refobjid = $1 AND d.deptype IN ('a', 'i')
            ORDER BY a.attnum
            """, [o])
        var sequences: [PostgresTableDefinition.Sequence] = []
        for row in result {
            guard row.count == 11, let schema = row[0], let name = row[1], let column = row[2], let type = row[4],
                let start = row[5].flatMap({ Int64($0) }), let increment = row[6].flatMap({ Int64($0) }),
                let minValue = row[7].flatMap({ Int64($0) }), let maxValue = row[8].flatMap({ Int64($0) }),
                let cache = row[9].flatMap({ Int64($0) })
            else { continue }
            var sequence = PostgresTableDefinition.Sequence(
                schema: schema, name: name, column: column, identity: row[3] == "t", dataType: type, start: start,
                increment: increment, minValue: minValue, maxValue: maxValue, cache: cache, cycle: row[10] == "t",
                lastValue: nil, isCalled: false)
            let state = try conn.exec(
                "SELECT last_value, is_called FROM \(sequence.qualified)", context: context, table: label)
            if let r = state.rows.first, r.count == 2 {
                sequence.lastValue = r[0].flatMap { Int64($0) }
                sequence.isCalled = r[1] == "t"
            }
            sequences.append(sequence)
        }
        return sequences
    }

    /// Appends the user-defined type `oid` (after the types it depends on) or its extension.
    func collectType(
        _ oid: UInt32, into types: inout [PostgresTypeDefinition],
        extensions: inout [PostgresTableDefinition.Extension], seen: inout Set<UInt32>
    ) throws(FerryError) {
        guard oid >= Self.firstUserOID, !seen.contains(oid) else { return }
        seen.insert(oid)
        let o = String(oid)
        let info = try rows(
            """
            SELECT n.nspname, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typrelid,
                   (SELECT e.extname || ' ' || en.nspname FROM pg_catalog.pg_depend d
                    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
                    JOIN pg_catalog.pg_namespace en ON en.oid = e.extnamespace
                    WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.oid AND d.deptype = 'e'),
                   pg_catalog.obj_description(t.oid, 'pg_type'),
                   pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                   CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                        THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
            LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE t.oid = $1
            """, [o])
        guard let r = info.first, r.count == 13, let schema = r[0], let name = r[1], let kind = r[2] else { return }
        if let ext = r[7], let space = ext.firstIndex(of: " ") {
            let found = PostgresTableDefinition.Extension(
                name: String(ext[..<space]), schema: String(ext[ext.index(after: space)...]))
            if !extensions.contains(found) { extensions.append(found) }
            return
        }
        if r[3] == "A", let elem = r[4].flatMap({ UInt32($0) }) {
            try collectType(elem, into: &types, extensions: &extensions, seen: &seen)
            return
        }
        let definitionKind: PostgresTypeDefinition.Kind
        switch kind {
        case "e":
            let labels = try rows(
                "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder", [o]
            ).compactMap { $0.first ?? nil }
            definitionKind = .enumeration(labels: labels)
        case "d":
            if let base = r[5].flatMap({ UInt32($0) }) {
                try collectType(base, into: &types, extensions: &extensions, seen: &seen)
            }
            let checks = try rows(
                """
                SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint
                WHERE contypid = $1 AND contype = 'c' ORDER BY conname
                """, [o]
            ).compactMap { row -> PostgresTypeDefinition.DomainCheck? in
                guard row.count == 2, let n = row[0], let d = row[1] else { return nil }
                return PostgresTypeDefinition.DomainCheck(name: n, definition: d)
            }
            let defaultExpression =
                try rows(
                    "SELECT pg_catalog.pg_get_expr(typdefaultbin, 0) FROM pg_catalog.pg_type WHERE oid = $1", [o]
                ).first?.first ?? nil
            definitionKind = .domain(
                base: r[9] ?? "text", collation: r[12], defaultExpression: defaultExpression, notNull: r[10] == "t",
                checks: checks)
        case "c":
            let attributes = try rows(
                """
                SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid,
                       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                            THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END
                FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
                LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, [r[6]])
            var fields: [PostgresTypeDefinition.Attribute] = []
            for row in attributes {
                guard row.count == 4, let n = row[0], let t = row[1] else { continue }
                if let fieldType = row[2].flatMap({ UInt32($0) }) {
                    try collectType(fieldType, into: &types, extensions: &extensions, seen: &seen)
                }
                fields.append(PostgresTypeDefinition.Attribute(name: n, type: t, collation: row[3]))
            }
            definitionKind = .composite(attributes: fields)
        case "r":
            let range = try rows(
                """
                SELECT pg_catalog.format_type(r.rngsubtype, NULL), r.rngsubtype,
                       CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::text END,
                       pg_catalog.format_type(r.rngmultitypid, NULL)
                FROM pg_catalog.pg_range r WHERE r.rngtypid = $1
                """, [o])
            guard let row = range.first, row.count == 4, let subtype = row[0] else { return }
            if let sub = row[1].flatMap({ UInt32($0) }) {
                try collectType(sub, into: &types, extensions: &extensions, seen: &seen)
            }
            definitionKind = .range(subtype: subtype, subtypeDiff: row[2], multirange: row[3])
        case "m":
            // A multirange comes with its range.
            let range = try rows("SELECT rngtypid FROM pg_catalog.pg_range WHERE rngmultitypid = $1", [o])
            if let r = range.first?.first ?? nil, let rangeOID = UInt32(r) {
                try collectType(rangeOID, into: &types, extensions: &extensions, seen: &seen)
            }
            return
        default:
            throw FerryError(
                .schema,
                "column type \(schema).\(name) of \(label) is a base type defined outside an extension, which Ferry "
                    + "cannot recreate; the table is copied with Ferry's portable types instead",
                table: label, sqlState: Self.unrecreatable)
        }
        types.append(PostgresTypeDefinition(schema: schema, name: name, kind: definitionKind, comment: r[8]))
    }
}

extension PostgresDefinitionReader {
    /// The user-defined type `schema.name` as this database defines it, `nil` when there is none.
    static func readType(
        _ conn: PGConnection, schema: String, name: String, label: String
    ) throws(FerryError) -> PostgresTypeDefinition? {
        let reader = PostgresDefinitionReader(conn: conn, label: label)
        let rows = try conn.execParams(
            """
            SELECT t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = $1 AND t.typname = $2
            """, [schema, name], context: reader.context, table: label)
        guard let oid = rows.scalar.flatMap({ UInt32($0) }) else { return nil }
        var types: [PostgresTypeDefinition] = []
        var extensions: [PostgresTableDefinition.Extension] = []
        var seen: Set<UInt32> = []
        try reader.collectType(oid, into: &types, extensions: &extensions, seen: &seen)
        return types.last { $0.schema == schema && $0.name == name }
    }
}
