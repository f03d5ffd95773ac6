/// A user-defined type a table's columns use (an enum, a domain, a composite or a range), as the source's catalog
/// defines it, so a PostgreSQL target can create it before the table, or check that its own is the same.
struct PostgresTypeDefinition: Codable, Hashable, Sendable {
    struct DomainCheck: Codable, Hashable, Sendable {
        var name: String
        /// `pg_get_constraintdef`: `CHECK (VALUE > 0)`.
        var definition: String
    }

    struct Attribute: Codable, Hashable, Sendable {
        var name: String
        var type: String
        var collation: String?
    }

    enum Kind: Codable, Hashable, Sendable {
        case enumeration(labels: [String])
        case domain(
            base: String, collation: String?, defaultExpression: String?, notNull: Bool, checks: [DomainCheck])
        case composite(attributes: [Attribute])
        case range(subtype: String, subtypeDiff: String?, multirange: String?)
    }

    var schema: String
    var name: String
    var kind: Kind
    var comment: String?

    var qualified: String { PostgresSQL.quoteIdent(schema) + "." + PostgresSQL.quoteIdent(name) }
    var label: String { "\(schema).\(name)" }

    /// `CREATE TYPE` / `CREATE DOMAIN`, as pg_dump would write it.
    func createStatements(literal: (String) -> String) -> [String] {
        var out: [String]
        switch kind {
        case .enumeration(let labels):
            out = ["CREATE TYPE \(qualified) AS ENUM (" + labels.map(literal).joined(separator: ", ") + ")"]
        case .domain(let base, let collation, let defaultExpression, let notNull, let checks):
            var sql = "CREATE DOMAIN \(qualified) AS \(base)"
            if let collation { sql += " COLLATE \(collation)" }
            if let defaultExpression { sql += " DEFAULT \(defaultExpression)" }
            if notNull { sql += " NOT NULL" }
            for check in checks { sql += " CONSTRAINT \(PostgresSQL.quoteIdent(check.name)) \(check.definition)" }
            out = [sql]
        case .composite(let attributes):
            let fields = attributes.map { a in
                PostgresSQL.quoteIdent(a.name) + " " + a.type + (a.collation.map { " COLLATE \($0)" } ?? "")
            }
            out = ["CREATE TYPE \(qualified) AS (" + fields.joined(separator: ", ") + ")"]
        case .range(let subtype, let subtypeDiff, let multirange):
            var options = ["SUBTYPE = \(subtype)"]
            if let multirange { options.append("MULTIRANGE_TYPE_NAME = \(multirange)") }
            if let subtypeDiff { options.append("SUBTYPE_DIFF = \(subtypeDiff)") }
            out = ["CREATE TYPE \(qualified) AS RANGE (" + options.joined(separator: ", ") + ")"]
        }
        if let comment {
            let object = if case .domain = kind { "DOMAIN" } else { "TYPE" }
            out.append("COMMENT ON \(object) \(qualified) IS \(literal(comment))")
        }
        return out
    }

    /// What brings `existing` (the target's type of the same name) in line with `self` without losing data: new
    /// enum labels in their place. `nil` when the difference cannot be applied safely (a label removed or
    /// reordered, a domain, composite or range defined differently).
    func alterations(from existing: PostgresTypeDefinition, literal: (String) -> String) -> [String]? {
        if existing == self { return [] }
        guard case .enumeration(let wanted) = kind, case .enumeration(let have) = existing.kind else {
            var same = existing
            same.comment = comment
            if same == self {
                let object = if case .domain = kind { "DOMAIN" } else { "TYPE" }
                return ["COMMENT ON \(object) \(qualified) IS " + (comment.map(literal) ?? "NULL")]
            }
            return nil
        }
        // The labels the target has must appear in the same order among the wanted ones.
        var position = wanted.startIndex
        for label in have {
            guard let found = wanted[position...].firstIndex(of: label) else { return nil }
            position = found + 1
        }
        var statements: [String] = []
        var present = Set(have)
        for (i, label) in wanted.enumerated() where !present.contains(label) {
            if let next = wanted[(i + 1)...].first(where: present.contains) {
                statements.append(
                    "ALTER TYPE \(qualified) ADD VALUE IF NOT EXISTS \(literal(label)) BEFORE \(literal(next))")
            } else {
                statements.append("ALTER TYPE \(qualified) ADD VALUE IF NOT EXISTS \(literal(label))")
            }
            present.insert(label)
        }
        if existing.comment != comment {
            statements.append("COMMENT ON TYPE \(qualified) IS " + (comment.map(literal) ?? "NULL"))
        }
        return statements
    }
}
