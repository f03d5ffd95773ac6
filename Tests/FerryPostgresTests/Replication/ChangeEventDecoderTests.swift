import FerryCore
import Testing

@testable import FerryPostgres

/// The built-in type mapping, without a server (no domains, everything nullable).
final class BuiltinCatalog: RelationCatalog {
    private(set) var lookups = 0

    func describe(_ relation: PgRelation) throws(FerryError) -> [RelationColumnInfo] {
        lookups += 1
        return relation.columns.map {
            let (type, viaText) = PostgresTypes.columnType(oid: $0.typeOID, typmod: $0.typmod)
            return RelationColumnInfo(type: type, viaText: viaText, nativeType: nil, nullable: true)
        }
    }
}

@Suite struct ChangeEventDecoderTests {
    let lsn = LSN(rawValue: 100)
    let table = TableName(schema: "public", name: "docs")

    /// `docs (id int key, body text, n int)`.
    func decoder(keys: [TableName: [String]] = [:], identity: Character = "d") throws -> ChangeEventDecoder {
        var d = ChangeEventDecoder(keys: keys, catalog: BuiltinCatalog())
        let relation = try decode(
            WireBuilder.relation(
                9, "docs", [("id", 23, true), ("body", 25, identity == "f"), ("n", 23, identity == "f")],
                identity: identity))
        guard case .relation(let schema, let tableSchema)? = try d.event(for: relation, at: .zero) else {
            Issue.record("no relation event")
            return d
        }
        #expect(schema == table)
        #expect(tableSchema.columns.map(\.type) == [.int32, .text, .int32])
        return d
    }

    func row(_ event: ChangeEvent?) -> RowChange? {
        guard case .row(let t, let change)? = event, t == table else { return nil }
        return change
    }

    @Test func transactionsOpenAndClose() throws {
        var d = try decoder()
        #expect(!d.inTransaction)
        let begin = try d.event(for: .begin(finalLSN: lsn, commitTime: 5, xid: 1), at: lsn)
        guard case .begin(let final, let time)? = begin else {
            Issue.record("no begin")
            return
        }
        #expect(final == lsn && time == 5 && d.inTransaction)
        let commit = try d.event(for: .commit(commitLSN: lsn, endLSN: LSN(rawValue: 120), commitTime: 5), at: lsn)
        guard case .commit(_, let end, _)? = commit else {
            Issue.record("no commit")
            return
        }
        #expect(end == LSN(rawValue: 120) && !d.inTransaction)
        #expect(try d.event(for: .type(oid: 1, namespace: "public", name: "t"), at: lsn) == nil)
    }

    @Test func insertsUpdatesAndDeletesCarryKeys() throws {
        var d = try decoder()
        let insert = row(try d.event(for: .insert(relation: 9, new: [.text([0x31]), .null, .text([0x37])]), at: lsn))
        #expect(insert?.kind == .insert)
        #expect(insert?.row == [.int(1), nil, .int(7)])
        #expect(insert?.oldKey == [.int(1)])
        // The key changed: K carries the old key, its non-key slots are 'n' ("not sent", not NULL).
        let moved = row(
            try d.event(
                for: .update(
                    relation: 9, old: .key([.text([0x31]), .null, .null]), new: [.text([0x32]), .null, .null]),
                at: lsn))
        #expect(moved?.row == [.int(2), nil, nil])
        #expect(moved?.oldKey == [.int(1)])
        let plain = row(try d.event(for: .update(relation: 9, old: nil, new: [.text([0x32]), .null, .null]), at: lsn))
        #expect(plain?.oldKey == [.int(2)])
        let delete = row(try d.event(for: .delete(relation: 9, old: .key([.text([0x32]), .null, .null])), at: lsn))
        #expect(delete?.kind == .delete)
        #expect(delete?.row == nil)
        #expect(delete?.oldKey == [.int(2)])
    }

    /// With the `binary` option the same changes arrive in send form: int4 as four big-endian bytes.
    @Test func binaryValuesCarryKeysToo() throws {
        var d = try decoder()
        let one: PgDatum = .binary([0, 0, 0, 1])
        let two: PgDatum = .binary([0, 0, 0, 2])
        let insert = row(try d.event(for: .insert(relation: 9, new: [one, .binary(Array("b".utf8)), two]), at: lsn))
        #expect(insert?.row == [.int(1), .text("b"), .int(2)])
        #expect(insert?.oldKey == [.int(1)])
        let moved = row(
            try d.event(for: .update(relation: 9, old: .key([one, .null, .null]), new: [two, .null, .null]), at: lsn))
        #expect(moved?.row == [.int(2), nil, nil])
        #expect(moved?.oldKey == [.int(1)])
        let delete = row(try d.event(for: .delete(relation: 9, old: .key([two, .null, .null])), at: lsn))
        #expect(delete?.oldKey == [.int(2)])
        let short = #expect(throws: FerryError.self) {
            _ = try d.event(for: .insert(relation: 9, new: [.binary([0, 1]), .null, .null]), at: lsn)
        }
        #expect(short?.message.contains("column id: the server sent a value that is not an integer") == true)
    }

    @Test func unchangedToastValuesComeFromTheOldTupleWhenItHasThem() throws {
        var d = try decoder()
        let toast = row(
            try d.event(for: .update(relation: 9, old: nil, new: [.text([0x31]), .unchanged, .text([0x38])]), at: lsn))
        #expect(toast?.unchanged == [1])
        #expect(toast?.row == [.int(1), nil, .int(8)])

        var full = try decoder(identity: "f")
        let fromOld = row(
            try full.event(
                for: .update(
                    relation: 9, old: .full([.text([0x31]), .text([0x61]), .null]),
                    new: [.text([0x31]), .unchanged, .text([0x38])]),
                at: lsn))
        #expect(fromOld?.unchanged == [])
        #expect(fromOld?.row == [.int(1), .text("a"), .int(8)])
    }

    @Test func configuredKeysReplaceTheReplicaIdentity() throws {
        var d = try decoder(keys: [TableName(name: "docs"): ["n", "id"]])
        let insert = row(try d.event(for: .insert(relation: 9, new: [.text([0x31]), .null, .text([0x37])]), at: lsn))
        #expect(insert?.oldKey == [.int(7), .int(1)])
        var bad = ChangeEventDecoder(keys: [table: ["ghost"]], catalog: BuiltinCatalog())
        let error = #expect(throws: FerryError.self) {
            _ = try bad.event(for: try decode(WireBuilder.relation(9, "docs", [("id", 23, true)])), at: lsn)
        }
        #expect(error?.code == .schema)
        #expect(error?.message.contains("ghost") == true)
    }

    @Test func truncateNamesTablesAndUnknownRelationsFail() throws {
        var d = try decoder()
        guard case .truncate(let tables)? = try d.event(for: .truncate(relations: [9], options: 0), at: lsn) else {
            Issue.record("no truncate")
            return
        }
        #expect(tables == [table])
        let unknown = #expect(throws: FerryError.self) {
            _ = try d.event(for: .insert(relation: 10, new: []), at: lsn)
        }
        #expect(unknown?.code == .data)
        let wrongWidth = #expect(throws: FerryError.self) {
            _ = try d.event(for: .insert(relation: 9, new: [.null]), at: lsn)
        }
        #expect(wrongWidth?.code == .data)
    }

    @Test func badValuesNameTheColumnAndPosition() throws {
        var d = try decoder()
        let error = #expect(throws: FerryError.self) {
            _ = try d.event(for: .insert(relation: 9, new: [.text(Array("x".utf8)), .null, .null]), at: lsn)
        }
        #expect(error?.code == .data)
        #expect(error?.table == "public.docs")
        #expect(error?.message.contains("column id") == true)
        #expect(error?.message.contains("0/64") == true)
    }
}
