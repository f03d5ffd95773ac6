import FerryCore

/// What the catalog adds to a Relation message: the Ferry type of each column as the snapshot reader maps it
/// (a domain by its base type), its spelling and its nullability.
struct RelationColumnInfo: Sendable, Hashable {
    var type: ColumnType
    /// Read as the type's text output (no binary mapping), kept as `.text`.
    var viaText: Bool
    /// How the snapshot reads the type; the stream reads its binary or text form into the same values.
    var form: PGValueForm = .native
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
    /// The tuples of the row change being decoded, refilled for each.
    private var newTuple = TupleLayout()
    private var oldTuple = TupleLayout()

    init(keys: [TableName: [String]], catalog: any RelationCatalog) {
        self.keys = keys
        self.catalog = catalog
    }

    /// The event for the pgoutput message `payload`, or `nil` for messages with no event (Type, Origin, logical
    /// messages). `lsn` is the XLogData position, used only in error messages.
    ///
    /// Row changes (the bulk of a stream) are decoded in place: their values are parsed from `payload`, which is
    /// libpq's buffer, with no copy of the message or of each value.
    mutating func event(payload: UnsafeRawBufferPointer, at lsn: LSN) throws(FerryError) -> ChangeEvent? {
        switch payload.first {
        case UInt8(ascii: "I"), UInt8(ascii: "U"), UInt8(ascii: "D"):
            return try rowEvent(payload, at: lsn)
        default:
            return try event(for: try PgOutputMessage.decode(payload), at: lsn)
        }
    }

    private mutating func event(for message: PgOutputMessage, at lsn: LSN) throws(FerryError) -> ChangeEvent? {
        switch message {
        case .begin(let final, let time, _):
            inTransaction = true
            return .begin(finalLSN: final, commitTime: time)
        case .commit(let commit, let end, let time):
            inTransaction = false
            return .commit(commitLSN: commit, endLSN: end, commitTime: time)
        case .relation(let relation):
            return try describe(relation)
        case .truncate(let ids, _):
            var tables: [TableName] = []
            for id in ids { tables.append(try relation(id, at: lsn).table) }
            return .truncate(tables)
        case .insert, .update, .delete, .origin, .type, .message:
            return nil
        }
    }

    /// An Insert, Update or Delete (postgres-wire.md C.1): relation id, then an optional old tuple (`K` key or
    /// `O` full) and the new tuple (`N`), each as PgOutputMessage reads them.
    private mutating func rowEvent(_ payload: UnsafeRawBufferPointer, at lsn: LSN) throws(FerryError) -> ChangeEvent {
        var r = WireReader(payload)
        let kind = try r.uint8()
        let relation = try self.relation(try r.uint32(), at: lsn)
        var marker = try r.uint8()
        var old: UInt8?
        if kind != UInt8(ascii: "I"), marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") {
            old = marker
            try oldTuple.read(&r)
            if kind == UInt8(ascii: "U") { marker = try r.uint8() }
        }
        let change: RowChange
        switch kind {
        case UInt8(ascii: "D"):
            guard old != nil else {
                throw ReplicationFrame.malformed("Delete has tuple marker \(ReplicationFrame.describe(marker))")
            }
            change = try self.change(.delete, relation, payload, hasNew: false, old: old, at: lsn)
        default:
            guard marker == UInt8(ascii: "N") else {
                let what = kind == UInt8(ascii: "I") ? "Insert" : "Update"
                throw ReplicationFrame.malformed("\(what) has tuple marker \(ReplicationFrame.describe(marker))")
            }
            try newTuple.read(&r)
            let rowKind: RowChange.Kind = kind == UInt8(ascii: "I") ? .insert : .update
            change = try self.change(rowKind, relation, payload, hasNew: true, old: old, at: lsn)
        }
        return .row(relation.table, change)
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
            // The catalog is asked about exactly the message's columns, so this is a lookup that went wrong.
            throw FerryError(
                .database,
                "looking up the \(relation.columns.count) columns the replication stream sends for \(label) "
                    + "(\(relation.columns.map(\.name).joined(separator: ", "))) in the catalog gave "
                    + "\(columns.count); run again (the next run looks them up afresh), and if it happens again, "
                    + "report it with the table's definition (\\d \(label) in psql)",
                table: label)
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

    /// The change in `newTuple` (when `hasNew`) and `oldTuple` (when `old` is `K` or `O`).
    private func change(
        _ kind: RowChange.Kind, _ relation: Relation, _ payload: UnsafeRawBufferPointer, hasNew: Bool, old: UInt8?,
        at lsn: LSN
    ) throws(FerryError) -> RowChange {
        let count = relation.columns.count
        let widths = (new: hasNew ? newTuple.count : count, old: old != nil ? oldTuple.count : count)
        if widths.new != count || widths.old != count {
            throw ReplicationFrame.malformed(
                "a change of \(relation.table) at \(lsn) has \(widths.new != count ? widths.new : widths.old) "
                    + "columns, its relation \(count)")
        }
        let full = old == UInt8(ascii: "O")
        var row: [ScalarValue?]?
        var unchanged = Set<Int>()
        if hasNew {
            var values: [ScalarValue?] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                switch try decode(newTuple, i, payload, relation, at: lsn) {
                case .value(let v):
                    values.append(v)
                case .notSent:
                    // A TOASTed value left unchanged; REPLICA IDENTITY FULL sends it in the old tuple.
                    if full, case .value(let v) = try decode(oldTuple, i, payload, relation, at: lsn) {
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
            // In a key tuple `n` means "not sent": only replica identity columns carry values (text or binary).
            if old != nil, full || oldTuple.kinds[i] == UInt8(ascii: "t") || oldTuple.kinds[i] == UInt8(ascii: "b") {
                decoded = try decode(oldTuple, i, payload, relation, at: lsn)
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
    /// A column of a type Ferry reads as text arrived in binary form (it was added after the stream started in
    /// binary form); the next stream checks the tables again and streams text.
    private static func textOnly(_ column: String, of table: TableName) -> FerryError {
        FerryError(
            .schema,
            "column \(column) has a type Ferry reads as text, and this replication stream sends binary values; "
                + "run again: the next run streams text", table: table.description)
    }

    private enum Decoded {
        case value(ScalarValue?)
        case notSent
    }

    private func decode(
        _ tuple: TupleLayout, _ i: Int, _ payload: UnsafeRawBufferPointer, _ relation: Relation, at lsn: LSN
    ) throws(FerryError) -> Decoded {
        switch tuple.kinds[i] {
        case UInt8(ascii: "n"): return .value(nil)
        case UInt8(ascii: "u"): return .notSent
        default:
            let column = relation.columns[i]
            let binary = tuple.kinds[i] == UInt8(ascii: "b")
            if binary && !column.form.binaryReadable { throw Self.textOnly(relation.names[i], of: relation.table) }
            do throws(ValueFailure) {
                let bytes = tuple.bytes(i, in: payload)
                if binary { return .value(try TupleBinary.value(bytes, type: column.type, form: column.form)) }
                return .value(try TupleText.value(bytes, type: column.type, form: column.form))
            } catch {
                throw error.error(column: relation.names[i], at: "change at \(lsn)", table: relation.table.description)
            }
        }
    }
}
