import FerryCore

/// What brings an existing target table in line with the source's definition before a load (schema sync): new
/// columns, widened types, changed defaults and NOT NULL, new, changed or dropped constraints and indexes,
/// comments. A change that would lose data (a narrowed or unrelated type, a dropped column that holds values) is
/// listed in `lossy` and only planned with `force`.
struct PostgresSchemaSync {
    let source: PostgresTableDefinition
    let target: PostgresTableDefinition
    /// Whether the target's column holds any non-NULL value.
    let holdsValues: (String) throws(FerryError) -> Bool

    struct Plan {
        var statements: [String] = []
        /// One line per change that would lose data, saying what it is.
        var lossy: [String] = []
        /// Foreign keys of the source to add once every table has loaded (new or changed ones).
        var foreignKeys: [PostgresTableDefinition.Constraint] = []
    }

    private func q(_ s: String) -> String { PostgresSQL.quoteIdent(s) }
    private var table: String { target.qualified }

    /// `includeForeignKeys` false when the caller sets every foreign key aside anyway (a full replace).
    func plan(force: Bool, includeForeignKeys: Bool) throws(FerryError) -> Plan {
        var plan = Plan()
        let ddl = PostgresTableDDL(definition: source, schema: target.schema, name: target.name)
        // Constraints and indexes that go away first: they may depend on columns that change.
        let wantedConstraints = Dictionary(source.constraints.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var added: [PostgresTableDefinition.Constraint] = []
        for c in target.constraints where includeForeignKeys || c.kind != "f" {
            if let wanted = wantedConstraints[c.name], wanted.kind == c.kind, wanted.definition == c.definition {
                continue
            }
            plan.statements.append("ALTER TABLE \(table) DROP CONSTRAINT \(q(c.name))")
        }
        for c in source.constraints where includeForeignKeys || c.kind != "f" {
            if let have = target.constraints.first(where: { $0.name == c.name }), have.kind == c.kind,
                have.definition == c.definition
            {
                continue
            }
            added.append(c)
        }
        let wantedIndexes = Dictionary(source.indexes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var indexesToCreate: [PostgresTableDefinition.Index] = []
        for index in target.indexes {
            let sameDefinition = wantedIndexes[index.name].map { sameIndex($0, index) } ?? false
            if !sameDefinition {
                plan.statements.append("DROP INDEX \(q(target.schema)).\(q(index.name))")
            }
        }
        for index in source.indexes {
            let have = target.indexes.first { $0.name == index.name }
            if have.map({ !sameIndex(index, $0) }) ?? true { indexesToCreate.append(index) }
        }
        // Columns.
        for c in source.columns {
            guard let have = target.columns.first(where: { $0.name == c.name }) else {
                // With its identity (the source's sequence name and options) or serial default: the planner
                // creates serial sequences first.
                plan.statements.append("ALTER TABLE \(table) ADD COLUMN \(ddl.column(c))")
                if let comment = c.comment {
                    plan.statements.append("COMMENT ON COLUMN \(table).\(q(c.name)) IS \(PostgresSQL.literal(comment))")
                }
                continue
            }
            let alter = "ALTER TABLE \(table) ALTER COLUMN \(q(c.name))"
            if have.type != c.type || have.collation != c.collation {
                let widening = have.collation == c.collation && Self.widens(have.type, to: c.type)
                if !widening {
                    plan.lossy.append(
                        "column \(c.name) of \(target.label) changes from \(have.type) to \(c.type), which may not "
                            + "hold every value")
                }
                if widening || force {
                    var sql = "\(alter) TYPE \(c.type)"
                    if let collation = c.collation { sql += " COLLATE \(collation)" }
                    if !widening { sql += " USING \(q(c.name))::\(c.type)" }
                    plan.statements.append(sql)
                }
            }
            if have.generatedExpression == nil, c.generatedExpression == nil,
                have.defaultExpression != c.defaultExpression
            {
                plan.statements.append(
                    c.defaultExpression.map { "\(alter) SET DEFAULT \($0)" } ?? "\(alter) DROP DEFAULT")
            }
            if have.notNull != c.notNull, c.identity == nil, have.identity == nil {
                plan.statements.append("\(alter) \(c.notNull ? "SET" : "DROP") NOT NULL")
            }
            plan.statements += identityChanges(c, have, alter: alter)
            if have.comment != c.comment {
                plan.statements.append(
                    "COMMENT ON COLUMN \(table).\(q(c.name)) IS " + (c.comment.map(PostgresSQL.literal) ?? "NULL"))
            }
        }
        for have in target.columns where !source.columns.contains(where: { $0.name == have.name }) {
            if try holdsValues(have.name) {
                plan.lossy.append(
                    "column \(have.name) of \(target.label) is gone from the source and holds values in the target")
                if !force { continue }
            }
            plan.statements.append("ALTER TABLE \(table) DROP COLUMN \(q(have.name))")
        }
        for c in added {
            if c.kind == "f" {
                plan.foreignKeys.append(c)
            } else {
                plan.statements.append("ALTER TABLE \(table) ADD CONSTRAINT \(q(c.name)) \(c.definition)")
            }
        }
        for index in indexesToCreate { plan.statements.append(try ddl.createIndex(index)) }
        if source.comment != target.comment {
            plan.statements.append(
                "COMMENT ON TABLE \(table) IS " + (source.comment.map(PostgresSQL.literal) ?? "NULL"))
        }
        if source.replicaIdentity != target.replicaIdentity
            || source.replicaIdentityIndex != target.replicaIdentityIndex
        {
            plan.statements +=
                ddl.replicaIdentity().isEmpty
                ? ["ALTER TABLE \(table) REPLICA IDENTITY DEFAULT"] : ddl.replicaIdentity()
        }
        return plan
    }

    /// A column that became (or stopped being) an identity column, or changed ALWAYS / BY DEFAULT; a new identity
    /// takes the source's sequence name and options, so the sequence's position can follow the source's.
    private func identityChanges(
        _ c: PostgresTableDefinition.Column, _ have: PostgresTableDefinition.Column, alter: String
    ) -> [String] {
        switch (have.identity, c.identity) {
        case (nil, let wanted?):
            var out: [String] = []
            if !have.notNull { out.append("\(alter) SET NOT NULL") }
            if have.defaultExpression != nil { out.append("\(alter) DROP DEFAULT") }
            let kind = wanted == "a" ? "ALWAYS" : "BY DEFAULT"
            if let s = source.sequences.first(where: { $0.identity && $0.column == c.name }) {
                out.append(
                    "\(alter) ADD GENERATED \(kind) AS IDENTITY (SEQUENCE NAME \(s.qualified) "
                        + PostgresTableDDL.sequenceOptions(s) + ")")
            } else {
                out.append("\(alter) ADD GENERATED \(kind) AS IDENTITY")
            }
            return out
        case (.some, nil):
            return ["\(alter) DROP IDENTITY IF EXISTS"]
        case (let had?, let wanted?) where had != wanted:
            return ["\(alter) SET GENERATED \(wanted == "a" ? "ALWAYS" : "BY DEFAULT")"]
        default:
            return []
        }
    }

    /// Two index definitions are the same once aimed at the same table (the target's may live elsewhere).
    private func sameIndex(_ a: PostgresTableDefinition.Index, _ b: PostgresTableDefinition.Index) -> Bool {
        let ddlA = PostgresTableDDL(definition: source, schema: target.schema, name: target.name)
        let ddlB = PostgresTableDDL(definition: target, schema: target.schema, name: target.name)
        guard let x = try? ddlA.createIndex(a), let y = try? ddlB.createIndex(b) else { return a == b }
        return x == y
    }

    /// Whether every value of `from` fits `to` unchanged (`format_type` spellings).
    static func widens(_ from: String, to: String) -> Bool {
        if from == to { return true }
        let integers = ["smallint", "integer", "bigint"]
        if let i = integers.firstIndex(of: from), let j = integers.firstIndex(of: to) { return j >= i }
        if from == "smallint" || from == "integer" || from == "bigint" { return to == "numeric" }
        if from == "real" { return to == "double precision" }
        let texts = ["character varying", "text"]
        if let n = length(from, "character varying") {
            if let m = length(to, "character varying") { return m >= n }
            return texts.contains(to)
        }
        if from == "character varying" { return to == "text" }
        if let n = length(from, "character") {
            return texts.contains(to) || (length(to, "character varying").map { $0 >= n } ?? false)
        }
        if let (p, s) = numeric(from) {
            if to == "numeric" { return true }
            if let (p2, s2) = numeric(to) { return s2 >= s && p2 - s2 >= p - s }
            return false
        }
        for base in ["timestamp", "time"] {
            for zone in [" without time zone", " with time zone"] {
                let plain = base + zone
                if from.hasSuffix(zone), to.hasSuffix(zone) {
                    let a = precision(from, base, zone)
                    let b = precision(to, base, zone)
                    if let a, let b, from.hasPrefix(base + "("), to.hasPrefix(base + "(") || to == plain {
                        return b >= a
                    }
                }
            }
        }
        if from.hasSuffix("[]"), to.hasSuffix("[]") {
            return widens(String(from.dropLast(2)), to: String(to.dropLast(2)))
        }
        return false
    }

    private static func length(_ type: String, _ base: String) -> Int? {
        guard type.hasPrefix(base + "("), type.hasSuffix(")") else { return nil }
        return Int(type.dropFirst(base.count + 1).dropLast())
    }

    private static func numeric(_ type: String) -> (Int, Int)? {
        guard type.hasPrefix("numeric("), type.hasSuffix(")") else { return nil }
        let parts = type.dropFirst(8).dropLast().split(separator: ",").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// The fractional-second precision of `timestamp(3) with time zone` (6 when unspecified).
    private static func precision(_ type: String, _ base: String, _ zone: String) -> Int? {
        if type == base + zone { return 6 }
        guard type.hasPrefix(base + "("), type.hasSuffix(")" + zone) else { return nil }
        return Int(type.dropFirst(base.count + 1).dropLast(zone.count + 1))
    }
}
