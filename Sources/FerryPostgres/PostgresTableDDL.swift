import FerryCore
import Foundation

/// The statements that create a `PostgresTableDefinition` under a given name: the table with its columns (types,
/// collations, defaults, identity and generated columns, NOT NULL) and CHECK constraints, its partitions, then what
/// is faster to build once the rows are in (primary key, unique and exclusion constraints, indexes), comments and
/// replica identity.
///
/// Names that live in the schema's relation namespace (constraint indexes, indexes, identity sequences) can be
/// given provisionally, for a staging table built next to the table it replaces; `renames` then gives them their
/// final names once the old table is gone.
struct PostgresTableDDL {
    let definition: PostgresTableDefinition
    /// Where the table is created.
    let schema: String
    let name: String
    /// Provisional names, by final name, for indexes, constraint indexes and identity sequences.
    var provisional: [String: String] = [:]

    private func q(_ s: String) -> String { PostgresSQL.quoteIdent(s) }
    var qualified: String { q(schema) + "." + q(name) }
    private func named(_ final: String) -> String { provisional[final] ?? final }

    /// A staging build of `definition` under `name`: everything schema-wide gets a provisional name.
    static func staging(_ definition: PostgresTableDefinition, schema: String, name: String) -> PostgresTableDDL {
        var ddl = PostgresTableDDL(definition: definition, schema: schema, name: name)
        var used = 0
        func provisional(_ final: String) -> String {
            used += 1
            let suffix = "__ferry_stg\(used)"
            return PostgresSQL.truncateIdentifier(final, maxBytes: 63 - suffix.utf8.count) + suffix
        }
        for c in definition.constraints where ["p", "u", "x"].contains(c.kind) {
            ddl.provisional[c.name] = provisional(c.name)
        }
        for index in definition.indexes { ddl.provisional[index.name] = provisional(index.name) }
        for s in definition.sequences where s.identity { ddl.provisional[s.name] = provisional(s.name) }
        return ddl
    }

    func column(_ c: PostgresTableDefinition.Column) -> String {
        var sql = q(c.name) + " " + c.type
        if let collation = c.collation { sql += " COLLATE \(collation)" }
        if let generated = c.generatedExpression {
            sql += " GENERATED ALWAYS AS (\(generated)) STORED"
        } else if let d = c.defaultExpression {
            sql += " DEFAULT \(d)"
        }
        if c.notNull { sql += " NOT NULL" }
        if let identity = c.identity, let s = definition.sequences.first(where: { $0.identity && $0.column == c.name })
        {
            sql += " GENERATED \(identity == "a" ? "ALWAYS" : "BY DEFAULT") AS IDENTITY ("
            sql += "SEQUENCE NAME \(q(s.schema)).\(q(named(s.name))) " + Self.sequenceOptions(s) + ")"
        }
        return sql
    }

    static func sequenceOptions(_ s: PostgresTableDefinition.Sequence) -> String {
        "START WITH \(s.start) INCREMENT BY \(s.increment) MINVALUE \(s.minValue) MAXVALUE \(s.maxValue) "
            + "CACHE \(s.cache)\(s.cycle ? " CYCLE" : " NO CYCLE")"
    }

    /// `CREATE SEQUENCE` for the serial sequences (not identity ones, which the table creates), when missing.
    func createSerialSequences() -> [String] {
        definition.sequences.filter { !$0.identity }.map { s in
            "CREATE SEQUENCE IF NOT EXISTS \(s.qualified) AS \(s.dataType) " + Self.sequenceOptions(s)
        }
    }

    /// `CREATE TABLE` with columns and CHECK constraints (their names are per table), `PARTITION BY` when
    /// partitioned.
    func createTable() -> String {
        var parts = definition.columns.map(column)
        // A NOT VALID check is added after the load (inline it would be checked, and the source's old rows may
        // not pass it).
        for c in definition.constraints where c.kind == "c" && !c.definition.hasSuffix(" NOT VALID") {
            parts.append("CONSTRAINT \(q(c.name)) \(c.definition)")
        }
        var sql = "CREATE TABLE \(qualified) (" + parts.joined(separator: ", ") + ")"
        if let key = definition.partitionKey { sql += " PARTITION BY \(key)" }
        return sql
    }

    /// The partitions, each `PARTITION OF` its parent, with their own constraints and indexes, recursively.
    func createPartitions() -> [String] {
        var out: [String] = []
        for partition in definition.partitions {
            let child = partition.definition
            let ddl = PostgresTableDDL(definition: child, schema: child.schema, name: child.name)
            var sql = "CREATE TABLE \(ddl.qualified) PARTITION OF \(qualified) \(partition.bound)"
            if let key = child.partitionKey { sql += " PARTITION BY \(key)" }
            out.append(sql)
            for c in child.constraints where c.kind == "c" {
                out.append("ALTER TABLE \(ddl.qualified) ADD CONSTRAINT \(q(c.name)) \(c.definition)")
            }
            out += ddl.createPartitions()
        }
        return out
    }

    /// After the load: primary key, unique and exclusion constraints, then the other indexes, of the table and of
    /// each partition (the partitions' shares of the parent's indexes come with the parent's).
    func buildConstraintsAndIndexes() throws(FerryError) -> [String] {
        var out: [String] = []
        for c in definition.constraints where ["p", "u", "x"].contains(c.kind) {
            out.append("ALTER TABLE \(qualified) ADD CONSTRAINT \(q(named(c.name))) \(c.definition)")
        }
        for c in definition.constraints where c.kind == "c" && c.definition.hasSuffix(" NOT VALID") {
            out.append("ALTER TABLE \(qualified) ADD CONSTRAINT \(q(c.name)) \(c.definition)")
        }
        for index in definition.indexes {
            out.append(try createIndex(index))
        }
        for partition in definition.partitions {
            let child = partition.definition
            let ddl = PostgresTableDDL(definition: child, schema: child.schema, name: child.name)
            out += try ddl.buildConstraintsAndIndexes()
        }
        return out
    }

    /// `pg_get_indexdef`'s statement, aimed at this table and this name.
    func createIndex(_ index: PostgresTableDefinition.Index) throws(FerryError) -> String {
        let text = index.definition
        for only in [" ON ", " ON ONLY "] {
            let marker = only + definition.printedName + " USING "
            guard let range = text.range(of: marker) else { continue }
            let head = text[..<range.lowerBound]
            let unique = head.hasPrefix("CREATE UNIQUE INDEX ")
            guard unique || head.hasPrefix("CREATE INDEX ") else { break }
            return "CREATE \(unique ? "UNIQUE " : "")INDEX \(q(named(index.name))) ON \(qualified) USING "
                + text[range.upperBound...]
        }
        throw FerryError(
            .schema,
            "cannot recreate index \(index.name) of \(definition.label) from its definition '\(text)'; "
                + "create it in the target by hand or report this",
            table: definition.label)
    }

    /// Table and column comments, and a replica identity other than the default, of the table and its partitions.
    func comments() -> [String] {
        var out: [String] = []
        if let comment = definition.comment {
            out.append("COMMENT ON TABLE \(qualified) IS \(PostgresSQL.literal(comment))")
        }
        for c in definition.columns {
            if let comment = c.comment {
                out.append("COMMENT ON COLUMN \(qualified).\(q(c.name)) IS \(PostgresSQL.literal(comment))")
            }
        }
        for partition in definition.partitions {
            let child = partition.definition
            out += PostgresTableDDL(definition: child, schema: child.schema, name: child.name).comments()
        }
        return out
    }

    /// `REPLICA IDENTITY` when not the default (run after the indexes, which `USING INDEX` names).
    func replicaIdentity() -> [String] {
        switch definition.replicaIdentity {
        case "f": return ["ALTER TABLE \(qualified) REPLICA IDENTITY FULL"]
        case "n": return ["ALTER TABLE \(qualified) REPLICA IDENTITY NOTHING"]
        case "i":
            guard let index = definition.replicaIdentityIndex else { return [] }
            return ["ALTER TABLE \(qualified) REPLICA IDENTITY USING INDEX \(q(index))"]
        default: return []
        }
    }

    /// Gives provisional names their final ones (after the table they replace is gone).
    func renames() -> [String] {
        var out: [String] = []
        for c in definition.constraints where ["p", "u", "x"].contains(c.kind) {
            if let p = provisional[c.name] {
                out.append("ALTER TABLE \(qualified) RENAME CONSTRAINT \(q(p)) TO \(q(c.name))")
            }
        }
        for index in definition.indexes {
            if let p = provisional[index.name] {
                out.append("ALTER INDEX \(q(schema)).\(q(p)) RENAME TO \(q(index.name))")
            }
        }
        for s in definition.sequences where s.identity {
            if let p = provisional[s.name] {
                out.append("ALTER SEQUENCE \(q(s.schema)).\(q(p)) RENAME TO \(q(s.name))")
            }
        }
        return out
    }

    /// Serial sequences belong to their column again (`OWNED BY`), and every sequence continues where the
    /// source's stands.
    func sequenceOwnershipAndValues() -> [String] {
        var out: [String] = []
        for s in definition.sequences {
            if !s.identity {
                out.append("ALTER SEQUENCE \(s.qualified) OWNED BY \(qualified).\(q(s.column))")
            }
            if let value = s.lastValue {
                let sequence = s.identity ? "\(q(s.schema)).\(q(s.name))" : s.qualified
                out.append(
                    "SELECT pg_catalog.setval(\(PostgresSQL.literal(sequence))::pg_catalog.regclass, \(value), "
                        + "\(s.isCalled))")
            }
        }
        return out
    }
}
