import FerryCore
import Testing

@testable import FerryPostgres

/// Builds replication messages byte by byte, as the server sends them (postgres-wire.md B.5, C.1).
struct WireBuilder {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func char(_ c: Unicode.Scalar) { bytes.append(UInt8(ascii: c)) }
    mutating func u16(_ v: UInt16) { bytes.appendBE(v) }
    mutating func u32(_ v: UInt32) { bytes.appendBE(v) }
    mutating func i32(_ v: Int32) { bytes.appendBE(v) }
    mutating func u64(_ v: UInt64) { bytes.appendBE(v) }
    mutating func i64(_ v: Int64) { bytes.appendBE(v) }

    mutating func string(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        bytes.append(0)
    }

    /// TupleData: `nil` = 'n', "\u{0}u" = 'u', anything else = 't'.
    mutating func tuple(_ values: [String?]) {
        u16(UInt16(values.count))
        for v in values {
            switch v {
            case nil: char("n")
            case "\u{0}u": char("u")
            case let text?:
                char("t")
                i32(Int32(text.utf8.count))
                bytes.append(contentsOf: text.utf8)
            }
        }
    }

    static func message(_ build: (inout WireBuilder) -> Void) -> [UInt8] {
        var b = WireBuilder()
        build(&b)
        return b.bytes
    }

    /// A Relation message for `public.<name>`: columns are (name, type OID, isKey).
    static func relation(
        _ id: UInt32, _ name: String, _ columns: [(String, UInt32, Bool)], identity: Character = "d"
    )
        -> [UInt8]
    {
        message { b in
            b.char("R")
            b.u32(id)
            b.string("public")
            b.string(name)
            b.u8(identity.asciiValue ?? 0)
            b.u16(UInt16(columns.count))
            for (column, oid, key) in columns {
                b.u8(key ? 1 : 0)
                b.string(column)
                b.u32(oid)
                b.i32(-1)
            }
        }
    }
}

func decode(_ bytes: [UInt8]) throws(FerryError) -> PgOutputMessage {
    var result: Result<PgOutputMessage, FerryError> = .failure(FerryError(.data, "unreached"))
    bytes.withUnsafeBytes { raw in
        result = Result { () throws(FerryError) in try PgOutputMessage.decode(raw) }
    }
    return try result.get()
}

/// The frame and, for XLogData, its pgoutput message.
func decodeFrame(_ bytes: [UInt8]) throws(FerryError) -> (ReplicationFrame, PgOutputMessage?) {
    let frame = try bytes.withUnsafeBytes { raw in Result { () throws(FerryError) in try ReplicationFrame.decode(raw) }
    }
    .get()
    guard case .xlogData(_, _, let payload) = frame else { return (frame, nil) }
    return (frame, try decode(Array(bytes[payload...])))
}

@Suite struct PgOutputDecoderTests {
    let pgEpoch: Int64 = 946_684_800_000_000

    @Test func beginAndCommitCarryLSNsAndUnixTimes() throws {
        let begin = try decode(
            WireBuilder.message { b in
                b.char("B")
                b.u64(0x8_D726_E2B8)
                b.i64(1_000_000)
                b.u32(742)
            })
        #expect(begin == .begin(finalLSN: LSN(rawValue: 0x8_D726_E2B8), commitTime: pgEpoch + 1_000_000, xid: 742))
        let commit = try decode(
            WireBuilder.message { b in
                b.char("C")
                b.u8(0)
                b.u64(10)
                b.u64(20)
                b.i64(-5)
            })
        #expect(commit == .commit(commitLSN: LSN(rawValue: 10), endLSN: LSN(rawValue: 20), commitTime: pgEpoch - 5))
    }

    @Test func relationNamesItsColumnsAndKeys() throws {
        let message = try decode(WireBuilder.relation(16_384, "items", [("id", 23, true), ("name", 25, false)]))
        guard case .relation(let r) = message else {
            Issue.record("not a relation: \(message)")
            return
        }
        #expect(
            r.id == 16_384 && r.namespace == "public" && r.name == "items" && r.replicaIdentity == UInt8(ascii: "d"))
        #expect(r.columns.map(\.name) == ["id", "name"])
        #expect(r.columns.map(\.isKey) == [true, false])
        #expect(r.columns.map(\.typeOID) == [23, 25])
        let catalog = try decode(
            WireBuilder.message { b in
                b.char("R")
                b.u32(1)
                b.string("")
                b.string("pg_class")
                b.char("n")
                b.u16(0)
            })
        guard case .relation(let pgClass) = catalog else {
            Issue.record("not a relation: \(catalog)")
            return
        }
        #expect(pgClass.namespace == "pg_catalog")
    }

    @Test func rowMessagesKeepOldTuplesApart() throws {
        let insert = try decode(
            WireBuilder.message { b in
                b.char("I")
                b.u32(7)
                b.char("N")
                b.tuple(["1", nil, "\u{0}u"])
            })
        #expect(insert == .insert(relation: 7, new: [.text(Array("1".utf8)), .null, .unchanged]))
        let update = try decode(
            WireBuilder.message { b in
                b.char("U")
                b.u32(7)
                b.char("K")
                b.tuple(["1", nil])
                b.char("N")
                b.tuple(["2", "x"])
            })
        #expect(
            update
                == .update(
                    relation: 7, old: .key([.text([0x31]), .null]), new: [.text([0x32]), .text([0x78])]))
        let plain = try decode(
            WireBuilder.message { b in
                b.char("U")
                b.u32(7)
                b.char("N")
                b.tuple(["2"])
            })
        #expect(plain == .update(relation: 7, old: nil, new: [.text([0x32])]))
        let delete = try decode(
            WireBuilder.message { b in
                b.char("D")
                b.u32(7)
                b.char("O")
                b.tuple(["1", nil])
            })
        #expect(delete == .delete(relation: 7, old: .full([.text([0x31]), .null])))
        let truncate = try decode(
            WireBuilder.message { b in
                b.char("T")
                b.i32(2)
                b.u8(2)
                b.u32(7)
                b.u32(8)
            })
        #expect(truncate == .truncate(relations: [7, 8], options: 2))
    }

    @Test func messagesWithoutEventsStillDecode() throws {
        let type = try decode(
            WireBuilder.message { b in
                b.char("Y")
                b.u32(16_825)
                b.string("public")
                b.string("mood")
            })
        #expect(type == .type(oid: 16_825, namespace: "public", name: "mood"))
        let message = try decode(
            WireBuilder.message { b in
                b.char("M")
                b.u8(1)
                b.u64(99)
                b.string("heartbeat")
                b.i32(2)
                b.u8(0x68)
                b.u8(0x69)
            })
        #expect(
            message
                == .message(transactional: true, lsn: LSN(rawValue: 99), prefix: "heartbeat", content: [0x68, 0x69]))
        let origin = try decode(
            WireBuilder.message { b in
                b.char("O")
                b.u64(5)
                b.string("node_a")
            })
        #expect(origin == .origin(lsn: LSN(rawValue: 5), name: "node_a"))
    }

    @Test func truncatedOrUnexpectedMessagesAreDataErrors() throws {
        let full = WireBuilder.message { b in
            b.char("I")
            b.u32(7)
            b.char("N")
            b.tuple(["12345"])
        }
        for cut in 1..<full.count {
            let error = #expect(throws: FerryError.self) { try decode(Array(full.prefix(cut))) }
            #expect(error?.code == .data)
        }
        let streaming = #expect(throws: FerryError.self) { try decode([UInt8(ascii: "S"), 0, 0, 0, 1, 1]) }
        #expect(streaming?.message.contains("'S'") == true)
        let negative = #expect(throws: FerryError.self) {
            try decode(
                WireBuilder.message { b in
                    b.char("I")
                    b.u32(7)
                    b.char("N")
                    b.u16(1)
                    b.char("t")
                    b.i32(-3)
                })
        }
        #expect(negative?.code == .data)
    }

    @Test func everyMessageKindSurvivesEncodingAndDecoding() throws {
        let relation = PgRelation(
            id: 7, namespace: "s", name: "t", replicaIdentity: UInt8(ascii: "f"),
            columns: [.init(name: "id", typeOID: 23, typmod: -1, isKey: true)])
        let messages: [PgOutputMessage] = [
            .begin(finalLSN: LSN(rawValue: 9), commitTime: 5, xid: 3),
            .commit(commitLSN: LSN(rawValue: 9), endLSN: LSN(rawValue: 10), commitTime: 6),
            .origin(lsn: LSN(rawValue: 2), name: "o"), .relation(relation),
            .type(oid: 1, namespace: "s", name: "ty"), .insert(relation: 7, new: [.text([0x31]), .null]),
            .update(relation: 7, old: .full([.text([0x31]), .unchanged]), new: [.binary([1]), .unchanged]),
            .update(relation: 7, old: nil, new: [.null]), .delete(relation: 7, old: .key([.text([0x32]), .null])),
            .truncate(relations: [7, 8], options: 1),
            .message(transactional: true, lsn: LSN(rawValue: 4), prefix: "p", content: [1, 2]),
        ]
        for message in messages { #expect(try decode(message.encoded) == message) }
    }

    @Test func framesAndStatusUpdatesFollowTheProtocol() throws {
        let keepalive = try decodeFrame(
            WireBuilder.message { b in
                b.char("k")
                b.u64(0x1_0000_0010)
                b.i64(0)
                b.u8(1)
            })
        guard case (.keepalive(let end, let reply), nil) = keepalive else {
            Issue.record("not a keepalive")
            return
        }
        #expect(end == LSN(rawValue: 0x1_0000_0010) && reply)
        let data = try decodeFrame(
            WireBuilder.message { b in
                b.char("w")
                b.u64(40)
                b.u64(40)
                b.i64(0)
                b.char("C")
                b.u8(0)
                b.u64(30)
                b.u64(40)
                b.i64(0)
            })
        guard case (.xlogData(let start, _, _), let message?) = data else {
            Issue.record("not XLogData")
            return
        }
        #expect(start == LSN(rawValue: 40))
        #expect(message == .commit(commitLSN: LSN(rawValue: 30), endLSN: LSN(rawValue: 40), commitTime: pgEpoch))

        let status = StandbyStatusUpdate.encode(
            position: LSN(rawValue: 0x0102_0304_0506_0708), clock: pgEpoch + 1, replyRequested: true)
        #expect(status.count == 34)
        #expect(status[0] == UInt8(ascii: "r"))
        let position: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        #expect(Array(status[1..<9]) == position && Array(status[9..<17]) == position)
        #expect(Array(status[17..<25]) == position)
        #expect(Array(status[25..<33]) == [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(status[33] == 1)
    }
}
