import FerryCore

/// Works out a column's Ferry type and `PGValueForm` from the catalog, looking through domains into arrays and
/// composites: `numeric(10,2)[]` is a `list<decimal(10,2)>` read from `array_send`, a composite of native fields is
/// a `structure` read from `record_send`, `interval` and `inet` are text read in binary; anything else is text read
/// as `format('%s', col)`.
///
/// Built-in scalar types need no query; every other type is looked up once per resolver (one per table read).
struct PostgresTypeResolver {
    private struct TypeRow {
        var kind: String
        var category: String
        var element: UInt32
        var base: UInt32
        var baseTypmod: Int32
        var relation: UInt32
    }

    private let conn: PGConnection
    private let table: String
    private var types: [UInt32: TypeRow] = [:]

    init(conn: PGConnection, table: String) {
        self.conn = conn
        self.table = table
    }

    static let interval: UInt32 = 1186
    static let inet: UInt32 = 869
    static let cidr: UInt32 = 650

    /// The type and form of a value of type `oid` with modifier `typmod`; `dimensions` is the column's declared
    /// `attndims`: an array declared with more than one dimension (`int[][]`) is read as text, since Ferry's lists
    /// are one-dimensional (a one-dimensional column holding a deeper value fails on that value instead).
    mutating func resolve(
        oid: UInt32, typmod: Int32, dimensions: Int32 = 0
    ) throws(FerryError) -> (
        type: ColumnType, form: PGValueForm
    ) {
        try resolve(oid: oid, typmod: typmod, dimensions: dimensions, depth: 0)
    }

    private mutating func resolve(
        oid: UInt32, typmod: Int32, dimensions: Int32, depth: Int
    ) throws(FerryError) -> (
        type: ColumnType, form: PGValueForm
    ) {
        let builtin = PostgresTypes.columnType(oid: oid, typmod: typmod)
        if !builtin.readAsText { return (builtin.type, .native) }
        switch oid {
        case Self.interval: return (.text, .interval)
        case Self.inet, Self.cidr: return (.text, .inet)
        default: break
        }
        guard depth < 8, let row = try typeRow(oid) else { return (.text, .text) }
        switch row.kind {
        case "d":
            return try resolve(
                oid: row.base, typmod: row.baseTypmod >= 0 ? row.baseTypmod : typmod, dimensions: dimensions,
                depth: depth + 1)
        case "e":
            return (.text, .enumLabel)
        case "b" where row.category == "A" && row.element != 0:
            guard dimensions <= 1 else { return (.text, .text) }
            let element = try resolve(oid: row.element, typmod: typmod, dimensions: 0, depth: depth + 1)
            guard element.form.binaryReadable, !isList(element.type) else { return (.text, .text) }
            return (.list(element.type), .array(element: element.form, elementOID: row.element))
        case "c" where row.relation != 0:
            let attributes = try fields(of: row.relation)
            var fields: [StructField] = []
            var forms: [PGValueForm] = []
            for attribute in attributes {
                let field = try resolve(
                    oid: attribute.oid, typmod: attribute.typmod, dimensions: attribute.dimensions, depth: depth + 1)
                guard field.form.binaryReadable else { return (.text, .text) }
                fields.append(StructField(name: attribute.name, type: field.type))
                forms.append(field.form)
            }
            guard !fields.isEmpty else { return (.text, .text) }
            return (.structure(fields), .composite(fields: forms, fieldOIDs: attributes.map(\.oid)))
        default:
            return (.text, .text)
        }
    }

    private func isList(_ type: ColumnType) -> Bool {
        if case .list = type { return true }
        return false
    }

    private mutating func typeRow(_ oid: UInt32) throws(FerryError) -> TypeRow? {
        if let row = types[oid] { return row }
        let rows = try conn.execParams(
            """
            SELECT typtype, typcategory, typelem, typbasetype, typtypmod, typrelid
            FROM pg_catalog.pg_type WHERE oid = $1::oid
            """, [String(oid)], context: "reading the definition of type \(oid)", table: table)
        guard let r = rows.rows.first, r.count == 6, let kind = r[0], let category = r[1],
            let element = r[2].flatMap({ UInt32($0) }), let base = r[3].flatMap({ UInt32($0) }),
            let baseTypmod = r[4].flatMap({ Int32($0) }), let relation = r[5].flatMap({ UInt32($0) })
        else { return nil }
        let row = TypeRow(
            kind: kind, category: category, element: element, base: base, baseTypmod: baseTypmod, relation: relation)
        types[oid] = row
        return row
    }

    private func fields(
        of relation: UInt32
    ) throws(FerryError) -> [(
        name: String, oid: UInt32, typmod: Int32, dimensions: Int32
    )] {
        let rows = try conn.execParams(
            """
            SELECT attname, atttypid, atttypmod, attndims FROM pg_catalog.pg_attribute
            WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [String(relation)], context: "reading the fields of composite type \(relation)", table: table)
        return rows.rows.compactMap { r in
            guard r.count == 4, let name = r[0], let oid = r[1].flatMap({ UInt32($0) }),
                let typmod = r[2].flatMap({ Int32($0) }), let dimensions = r[3].flatMap({ Int32($0) })
            else { return nil }
            return (name, oid, typmod, dimensions)
        }
    }
}
