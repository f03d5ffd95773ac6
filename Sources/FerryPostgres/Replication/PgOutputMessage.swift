import FerryCore

/// One column value of a pgoutput TupleData.
enum PgDatum: Sendable, Hashable {
    /// `n`: NULL, except in a `K` (key) tuple, where it means "not part of the key, not sent" (E.8).
    case null
    /// `u`: an unchanged value stored out of line (TOAST) that the server did not send.
    case unchanged
    /// `t`: the value in its type's text output form.
    case text([UInt8])
    /// `b`: the value in its type's binary send form (only with the `binary` option, which Ferry asks for when
    /// every column has a send form it reads: `PostgresChangeSource.binaryValues`).
    case binary([UInt8])
}

/// A table as a Relation message describes it: the shape the changes that follow it use.
struct PgRelation: Sendable, Hashable {
    struct Column: Sendable, Hashable {
        var name: String
        var typeOID: UInt32
        var typmod: Int32
        /// Part of the replica identity (every column under REPLICA IDENTITY FULL).
        var isKey: Bool
    }

    var id: UInt32
    /// `""` on the wire means `pg_catalog`; already replaced here.
    var namespace: String
    var name: String
    /// `d` default, `n` nothing, `f` full, `i` index.
    var replicaIdentity: UInt8
    var columns: [Column]
}

/// The old row an Update or Delete carries.
enum PgOldTuple: Sendable, Hashable {
    /// `K`: replica identity columns set, the others `n` ("not sent").
    case key([PgDatum])
    /// `O`: every column (REPLICA IDENTITY FULL); `n` is a real NULL.
    case full([PgDatum])
}

/// One pgoutput message (protocol version 1, no streaming; postgres-wire.md C.1). Timestamps are converted to µs
/// since 1970; everything else is as sent.
enum PgOutputMessage: Sendable, Hashable {
    case begin(finalLSN: LSN, commitTime: Int64, xid: UInt32)
    case commit(commitLSN: LSN, endLSN: LSN, commitTime: Int64)
    case origin(lsn: LSN, name: String)
    case relation(PgRelation)
    case type(oid: UInt32, namespace: String, name: String)
    case insert(relation: UInt32, new: [PgDatum])
    case update(relation: UInt32, old: PgOldTuple?, new: [PgDatum])
    case delete(relation: UInt32, old: PgOldTuple)
    /// `options`: 1 = CASCADE, 2 = RESTART IDENTITY.
    case truncate(relations: [UInt32], options: UInt8)
    case message(transactional: Bool, lsn: LSN, prefix: String, content: [UInt8])

    /// Decodes the payload of one XLogData message. Messages of protocol versions Ferry does not request
    /// (streaming, two-phase) are errors: they would mean the stream is not what Ferry asked for.
    static func decode(_ payload: UnsafeRawBufferPointer) throws(FerryError) -> PgOutputMessage {
        var r = WireReader(payload)
        let kind = try r.uint8()
        switch kind {
        case UInt8(ascii: "B"):
            let final = try r.lsn()
            let time = try r.pgTimestamp()
            return .begin(finalLSN: final, commitTime: time, xid: try r.uint32())
        case UInt8(ascii: "C"):
            _ = try r.uint8()  // flags, always 0
            let commit = try r.lsn()
            let end = try r.lsn()
            return .commit(commitLSN: commit, endLSN: end, commitTime: try r.pgTimestamp())
        case UInt8(ascii: "O"):
            let lsn = try r.lsn()
            return .origin(lsn: lsn, name: try r.string())
        case UInt8(ascii: "R"):
            return .relation(try relation(&r))
        case UInt8(ascii: "Y"):
            let oid = try r.uint32()
            let namespace = try r.string()
            return .type(oid: oid, namespace: namespace, name: try r.string())
        case UInt8(ascii: "I"):
            let relation = try r.uint32()
            try expect(&r, "N", in: "Insert")
            return .insert(relation: relation, new: try tuple(&r))
        case UInt8(ascii: "U"):
            let relation = try r.uint32()
            var marker = try r.uint8()
            var old: PgOldTuple?
            if marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") {
                let values = try tuple(&r)
                old = marker == UInt8(ascii: "K") ? .key(values) : .full(values)
                marker = try r.uint8()
            }
            guard marker == UInt8(ascii: "N") else {
                throw ReplicationFrame.malformed("Update has tuple marker \(ReplicationFrame.describe(marker))")
            }
            return .update(relation: relation, old: old, new: try tuple(&r))
        case UInt8(ascii: "D"):
            let relation = try r.uint32()
            let marker = try r.uint8()
            guard marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") else {
                throw ReplicationFrame.malformed("Delete has tuple marker \(ReplicationFrame.describe(marker))")
            }
            let values = try tuple(&r)
            return .delete(relation: relation, old: marker == UInt8(ascii: "K") ? .key(values) : .full(values))
        case UInt8(ascii: "T"):
            let count = try r.int32()
            let options = try r.uint8()
            guard count >= 0, Int(count) * 4 <= r.remaining else {
                throw ReplicationFrame.malformed("Truncate lists \(count) relations")
            }
            var relations: [UInt32] = []
            relations.reserveCapacity(Int(count))
            for _ in 0..<count { relations.append(try r.uint32()) }
            return .truncate(relations: relations, options: options)
        case UInt8(ascii: "M"):
            let flags = try r.uint8()
            let lsn = try r.lsn()
            let prefix = try r.string()
            let length = try r.int32()
            return .message(transactional: flags & 1 != 0, lsn: lsn, prefix: prefix, content: try r.bytes(Int(length)))
        default:
            throw ReplicationFrame.malformed(
                "unexpected pgoutput message \(ReplicationFrame.describe(kind)) (Ferry requests protocol version 1 "
                    + "without streaming or two-phase commit)")
        }
    }

    private static func expect(_ r: inout WireReader, _ marker: Unicode.Scalar, in what: String) throws(FerryError) {
        let byte = try r.uint8()
        guard byte == UInt8(ascii: marker) else {
            throw ReplicationFrame.malformed("\(what) has tuple marker \(ReplicationFrame.describe(byte))")
        }
    }

    private static func relation(_ r: inout WireReader) throws(FerryError) -> PgRelation {
        let id = try r.uint32()
        let namespace = try r.string()
        let name = try r.string()
        let identity = try r.uint8()
        let count = Int(Int16(bitPattern: try r.uint16()))
        guard count >= 0 else { throw ReplicationFrame.malformed("Relation \(name) has \(count) columns") }
        var columns: [PgRelation.Column] = []
        columns.reserveCapacity(count)
        for _ in 0..<count {
            let flags = try r.uint8()
            let column = try r.string()
            let oid = try r.uint32()
            columns.append(PgRelation.Column(name: column, typeOID: oid, typmod: try r.int32(), isKey: flags & 1 != 0))
        }
        return PgRelation(
            id: id, namespace: namespace.isEmpty ? "pg_catalog" : namespace, name: name, replicaIdentity: identity,
            columns: columns)
    }

    private static func tuple(_ r: inout WireReader) throws(FerryError) -> [PgDatum] {
        var layout = TupleLayout()
        try layout.read(&r)
        return layout.datums(in: r.buffer)
    }
}
