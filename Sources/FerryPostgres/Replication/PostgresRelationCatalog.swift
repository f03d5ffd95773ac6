import FerryCore
import Foundation

/// Completes Relation messages from the catalog, on a normal connection opened at the first Relation and kept
/// until the stream closes (the replication connection cannot run queries while it streams).
///
/// The Relation message carries each column's type OID and modifier. A domain column carries the domain's OID,
/// while the snapshot reader maps a domain by its base type, so the base type is looked up here; nullability and
/// the type's spelling (`format_type`) are not in the message at all.
final class PostgresRelationCatalog: RelationCatalog {
    private let config: PostgresConnectionConfig
    private var conn: PGConnection?

    init(config: PostgresConnectionConfig) {
        self.config = config
    }

    func describe(_ relation: PgRelation) throws(FerryError) -> [RelationColumnInfo] {
        let rows: PGRows
        do throws(FerryError) {
            rows = try query(relation)
        } catch let error where error.code == .connection {
            // The side connection sat idle for as long as the stream ran and may have been dropped: one fresh try.
            rows = try query(relation)
        }
        var infos: [RelationColumnInfo] = []
        var resolver = PostgresTypeResolver(conn: try connection(), table: "\(relation.namespace).\(relation.name)")
        for (column, row) in zip(relation.columns, rows.rows) {
            let oid = row.count == 5 ? row[1].flatMap { UInt32($0) } ?? column.typeOID : column.typeOID
            let typmod = row.count == 5 ? row[2].flatMap { Int32($0) } ?? column.typmod : column.typmod
            let dimensions = row.count == 5 ? row[4].flatMap { Int32($0) } ?? 0 : 0
            let (type, form) = try resolver.resolve(oid: oid, typmod: typmod, dimensions: dimensions)
            infos.append(
                RelationColumnInfo(
                    type: type, viaText: form == .text, form: form, nativeType: row.first ?? nil,
                    nullable: row[3] != "t"))
        }
        return infos
    }

    private func query(_ relation: PgRelation) throws(FerryError) -> PGRows {
        let label = "\(relation.namespace).\(relation.name)"
        let conn = try connection()
        do throws(FerryError) {
            return try conn.execParams(
                """
                SELECT pg_catalog.format_type(u.o, u.m),
                       CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE u.o END,
                       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE u.m END,
                       COALESCE(a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), false), COALESCE(a.attndims, 0)
                FROM unnest($1::oid[], $2::int4[], $3::text[]) WITH ORDINALITY AS u(o, m, n, i)
                LEFT JOIN pg_catalog.pg_type t ON t.oid = u.o
                LEFT JOIN pg_catalog.pg_attribute a
                       ON a.attrelid = $4::oid AND a.attname = u.n AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY u.i
                """,
                [
                    Self.arrayLiteral(relation.columns.map { String($0.typeOID) }),
                    Self.arrayLiteral(relation.columns.map { String($0.typmod) }),
                    Self.arrayLiteral(relation.columns.map(\.name)), String(relation.id),
                ], context: "describing the columns of \(label) for the replication stream", table: label)
        } catch {
            conn.close()
            self.conn = nil
            throw error
        }
    }

    func close() {
        conn?.close()
        conn = nil
    }

    private func connection() throws(FerryError) -> PGConnection {
        if let conn, conn.isOpen { return conn }
        let opened = try PGConnection(config: config)
        conn = opened
        return opened
    }

    /// `{"a","b\"c"}`: an array literal whose elements are all quoted, so any text survives.
    static func arrayLiteral(_ items: [String]) -> String {
        "{"
            + items.map { item in
                "\"" + item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    + "\""
            }.joined(separator: ",") + "}"
    }
}
