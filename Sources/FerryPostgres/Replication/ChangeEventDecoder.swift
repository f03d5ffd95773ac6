import FerryCore

/// What the catalog adds to a Relation message: the Ferry type of each column as the snapshot reader maps it
/// (a domain by its base type), its spelling and its nullability.
struct RelationColumnInfo: Sendable, Hashable {
    var type: ColumnType
    /// Read as the type's text output (no binary mapping), kept as `.text`.
    var viaText: Bool
    var nativeType: String?
    var nullable: Bool
}

/// Looks up what a Relation message leaves out. The real one queries the catalog on a normal connection; tests
/// use the built-in mapping.
protocol RelationCatalog: AnyObject {
    func describe(_ relation: PgRelation) throws(FerryError) -> [RelationColumnInfo]
}

/// Turns pgoutput messages into `ChangeEvent`s: keeps each relation's description, converts tuple values and
/// tracks whether a transaction is open. Pure apart from the catalog lookups, so it is tested without a server.
struct ChangeEventDecoder {
    /// A relation as the stream uses it.
    struct Relation {
        var table: TableName
        var names: [String]
        var columns: [RelationColumnInfo]
        /// Positions of the key columns: the stream's `keys` for the table, else the replica identity columns.
        var keyIndexes: [Int]
    }

    let keys: [TableName: [String]]
    let catalog: any RelationCatalog
    private(set) var relations: [UInt32: Relation] = [:]
    /// Between a Begin and its Commit.
    private(set) var inTransaction = false

    init(keys: [TableName: [String]], catalog: any RelationCatalog) {
        self.keys = keys
        self.catalog = catalog
    }

    /// The event for `message`, or `nil` for messages with no event (Type, Origin, logical messages). `lsn` is the
    /// XLogData position, used only in error messages.
    mutating func event(for message: PgOutputMessage, at lsn: LSN) throws(FerryError) -> ChangeEvent? {
        switch message {
        case .begin(let final, let time, _):
            inTransaction = true
            return .begin(finalLSN: final, commitTime: time)
        case .commit(let commit, let end, let time):
            inTransaction = false
            return .commit(commitLSN: commit, endLSN: end, commitTime: time)
        case .relation(let relation):
            return try describe(relation)
        case .insert(let id, let new):
            let relation = try self.relation(id, at: lsn)
            return .row(relation.table, try change(.insert, relation, new: new, old: nil, at: lsn))
        case .update(let id, let old, let new):
            let relation = try self.relation(id, at: lsn)
            return .row(relation.table, try change(.update, relation, new: new, old: old, at: lsn))
        case .delete(let id, let old):
            let relation = try self.relation(id, at: lsn)
            return .row(relation.table, try change(.delete, relation, new: nil, old: old, at: lsn))
        case .truncate(let ids, _):
            var tables: [TableName] = []
            for id in ids { tables.append(try relation(id, at: lsn).table) }
            return .truncate(tables)
        case .origin, .type, .message:
            return nil
        }
    }

    private func relation(_ id: UInt32, at lsn: LSN) throws(FerryError) -> Relation {
        guard let relation = relations[id] else {
            throw ReplicationFrame.malformed("a change at \(lsn) refers to relation \(id), which was never described")
        }
        return relation
    }

    /// Replaces the cached description (a Relation arrives again after ALTER TABLE, TRUNCATE, a reconnect).
    private mutating func describe(_ relation: PgRelation) throws(FerryError) -> ChangeEvent {
        let table = TableName(schema: relation.namespace, name: relation.name)
        let label = table.description
        let columns = try catalog.describe(relation)
        guard columns.count == relation.columns.count else {
            throw FerryError(.database, "the catalog description of \(label) does not match the stream", table: label)
        }
        let names = relation.columns.map(\.name)
        // A table given no key (or an empty one) is keyed by its replica identity.
        let given = keys[table] ?? keys[TableName(name: relation.name)] ?? []
        let keyNames = given.isEmpty ? relation.columns.filter(\.isKey).map(\.name) : given
        var keyIndexes: [Int] = []
        for key in keyNames {
            guard let i = names.firstIndex(of: key) else {
                throw FerryError(
                    .schema,
                    "key column \(key) of \(label) is not among the columns the replication stream sends "
                        + "(\(names.joined(separator: ", "))); check primary_key in the config",
                    table: label)
            }
            keyIndexes.append(i)
        }
        relations[relation.id] = Relation(table: table, names: names, columns: columns, keyIndexes: keyIndexes)
        let schema = TableSchema(
            columns: zip(names, columns).map {
                Column(name: $0, type: $1.type, nullable: $1.nullable, nativeType: $1.nativeType)
            },
            primaryKey: keyNames)
        return .relation(table, schema)
    }

    private func change(
        _ kind: RowChange.Kind, _ relation: Relation, new: [PgDatum]?, old: PgOldTuple?, at lsn: LSN
    ) throws(FerryError) -> RowChange {
        let count = relation.columns.count
        for tuple in [new, old?.values] {
            guard let tuple else { continue }
            guard tuple.count == count else {
                throw ReplicationFrame.malformed(
                    "a change of \(relation.table) at \(lsn) has \(tuple.count) columns, its relation \(count)")
            }
        }
        var row: [ScalarValue?]?
        var unchanged = Set<Int>()
        if let new {
            var values: [ScalarValue?] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                switch try decode(new[i], i, relation, at: lsn) {
                case .value(let v):
                    values.append(v)
                case .notSent:
                    // A TOASTed value left unchanged; REPLICA IDENTITY FULL sends it in the old tuple.
                    if case .full(let o) = old, case .value(let v) = try decode(o[i], i, relation, at: lsn) {
                        values.append(v)
                    } else {
                        unchanged.insert(i)
                        values.append(nil)
                    }
                }
            }
            row = values
        }
        var oldKey: [ScalarValue?] = []
        oldKey.reserveCapacity(relation.keyIndexes.count)
        for i in relation.keyIndexes {
            var decoded = Decoded.notSent
            switch old {
            // In a key tuple `n` means "not sent": only replica identity columns carry values.
            case .key(let k): if case .text = k[i] { decoded = try decode(k[i], i, relation, at: lsn) }
            case .full(let o): decoded = try decode(o[i], i, relation, at: lsn)
            case nil: break
            }
            switch decoded {
            case .value(let v): oldKey.append(v)
            // Not in the old tuple: the key did not change, the new row has it.
            case .notSent: oldKey.append(row?[i] ?? nil)
            }
        }
        return RowChange(kind: kind, row: row, unchanged: unchanged, oldKey: oldKey)
    }

    /// A datum's value, told apart from "not sent" (`u`), which is not NULL.
    private enum Decoded {
        case value(ScalarValue?)
        case notSent
    }

    private func decode(
        _ datum: PgDatum, _ i: Int, _ relation: Relation, at lsn: LSN
    ) throws(FerryError) -> Decoded {
        switch datum {
        case .null: return .value(nil)
        case .unchanged: return .notSent
        case .binary:
            throw ReplicationFrame.malformed("column \(relation.names[i]) of \(relation.table) arrived in binary form")
        case .text(let text):
            let column = relation.columns[i]
            do throws(TupleText.Failure) {
                return .value(try TupleText.value(text, type: column.type, viaText: column.viaText))
            } catch {
                throw FerryError(
                    .data,
                    "column \(relation.names[i]): \(error.reason) (change at \(lsn)); fix those values in the source",
                    table: relation.table.description)
            }
        }
    }
}

extension PgOldTuple {
    var values: [PgDatum] {
        switch self {
        case .key(let v), .full(let v): v
        }
    }
}
