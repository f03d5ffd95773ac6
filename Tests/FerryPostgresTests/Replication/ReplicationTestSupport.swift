import FerryCore
import FerryTestKit
import Foundation
import Testing

@testable import FerryPostgres

extension PGTestDB {
    /// A change source with a slot named after this database (slot names are cluster-wide, so parallel tests never
    /// share one) and its own publication.
    func changeSource(publication: String = "ferry_pub") -> PostgresChangeSource {
        PostgresChangeSource(config: config, slotName: "slot_\(name)", publicationName: publication)
    }

    /// One row of `pg_replication_slots` for the source's slot: `confirmed_flush_lsn` and `active`.
    func slotRow(_ source: PostgresChangeSource) throws -> (confirmed: LSN?, active: Bool)? {
        let out = try sql(
            "SELECT confirmed_flush_lsn, active FROM pg_replication_slots WHERE slot_name = '\(source.slotName)'")
        guard !out.isEmpty else { return nil }
        let parts = out.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        return (LSN(parts[0]), parts.count > 1 && parts[1] == "t")
    }

    /// Waits (up to 60 s) until the slot's confirmed_flush_lsn reaches `lsn`: the server applies status updates
    /// asynchronously. Returns the last value seen; records an issue saying so when it never got there.
    @discardableResult
    func waitForConfirmed(
        _ source: PostgresChangeSource, atLeast lsn: LSN, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> LSN? {
        var seen: LSN?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            seen = try slotRow(source)?.confirmed
            if let seen, seen >= lsn { return seen }
            usleep(50_000)
        }
        Issue.record(
            "slot \(source.slotName) stayed confirmed at \(seen.map { "\($0)" } ?? "nothing"), short of \(lsn), for 60 s",
            sourceLocation: sourceLocation)
        return seen
    }
}

/// Events of a stream, gathered until a condition holds.
struct StreamLog {
    var events: [ChangeEvent] = []

    var commits: Int { events.filter { if case .commit = $0 { true } else { false } }.count }

    /// Every row change, with its table.
    var rows: [(TableName, RowChange)] {
        events.compactMap { if case .row(let t, let change) = $0 { (t, change) } else { nil } }
    }

    var relations: [(TableName, TableSchema)] {
        events.compactMap { if case .relation(let t, let schema) = $0 { (t, schema) } else { nil } }
    }

    /// End LSNs of the commits, in order.
    var commitEnds: [LSN] {
        events.compactMap { if case .commit(_, let end, _) = $0 { end } else { nil } }
    }

    /// Reads `stream` until `commits` more transactions committed; fails after `timeout` seconds.
    static func read(
        _ stream: any ChangeStream, commits: Int, timeout: Double = 30,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> StreamLog {
        var log = StreamLog()
        let deadline = Date().addingTimeInterval(timeout)
        while log.commits < commits {
            guard Date() < deadline else {
                Issue.record("only \(log.commits) of \(commits) transactions arrived", sourceLocation: sourceLocation)
                return log
            }
            if let event = try stream.next(timeout: 1) { log.events.append(event) }
        }
        return log
    }

    /// Reads `stream` until an `.idle` event at or past `lsn` arrives; returns it (`nil` after `timeout` seconds,
    /// which the caller's `#require` reports).
    static func idle(_ stream: any ChangeStream, atLeast lsn: LSN, timeout: Double = 60) throws -> (LSN, StreamLog)? {
        var log = StreamLog()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let event = try stream.next(timeout: 1) else { continue }
            log.events.append(event)
            if case .idle(let walEnd) = event, walEnd >= lsn { return (walEnd, log) }
        }
        return nil
    }
}

/// A whole table read through the snapshot reader, each row as `ScalarValue`s keyed by its first column.
func snapshotRows(_ db: PGTestDB, _ table: String) throws -> (schema: TableSchema, rows: [ScalarValue: [ScalarValue?]])
{
    let (schema, batches, _) = try readAll(db, table)
    var rows: [ScalarValue: [ScalarValue?]] = [:]
    for batch in batches {
        for r in 0..<batch.rowCount {
            let row = schema.columns.indices.map {
                ScalarValue(vector: batch.vectors[$0], row: r, type: schema.columns[$0].type)
            }
            if let key = row.first ?? nil { rows[key] = row }
        }
    }
    return (schema, rows)
}

/// Value equality that also holds for NaN and tells -0.0 from 0.0 (`ScalarValue.==` does neither).
func sameValue(_ a: ScalarValue?, _ b: ScalarValue?) -> Bool {
    switch (a, b) {
    case (.double(let x)?, .double(let y)?): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
    default: return a == b
    }
}

/// Runs `body` with a stream on `source`'s slot, closing it after.
func withStream<T>(
    _ source: PostgresChangeSource, from start: LSN = .zero, keys: [TableName: [String]] = [:],
    _ body: (any ChangeStream) throws -> T
) throws -> T {
    let stream = try source.openStream(from: start, keys: keys)
    defer { stream.close() }
    return try body(stream)
}

extension PgOutputMessage {
    /// The message as the server sends it (the inverse of `decode`), for tests that describe messages as values.
    var encoded: [UInt8] {
        WireBuilder.message { b in
            func tuple(_ values: [PgDatum]) {
                b.u16(UInt16(values.count))
                for value in values {
                    switch value {
                    case .null: b.char("n")
                    case .unchanged: b.char("u")
                    case .text(let bytes), .binary(let bytes):
                        if case .text = value { b.char("t") } else { b.char("b") }
                        b.i32(Int32(bytes.count))
                        b.bytes.append(contentsOf: bytes)
                    }
                }
            }
            func old(_ tuple: PgOldTuple) -> [PgDatum] {
                switch tuple {
                case .key(let values):
                    b.char("K")
                    return values
                case .full(let values):
                    b.char("O")
                    return values
                }
            }
            switch self {
            case .begin(let final, let time, let xid):
                b.char("B")
                b.u64(final.rawValue)
                b.i64(time - 946_684_800_000_000)
                b.u32(xid)
            case .commit(let commit, let end, let time):
                b.char("C")
                b.u8(0)
                b.u64(commit.rawValue)
                b.u64(end.rawValue)
                b.i64(time - 946_684_800_000_000)
            case .origin(let lsn, let name):
                b.char("O")
                b.u64(lsn.rawValue)
                b.string(name)
            case .relation(let relation):
                b.char("R")
                b.u32(relation.id)
                b.string(relation.namespace)
                b.string(relation.name)
                b.u8(relation.replicaIdentity)
                b.u16(UInt16(relation.columns.count))
                for column in relation.columns {
                    b.u8(column.isKey ? 1 : 0)
                    b.string(column.name)
                    b.u32(column.typeOID)
                    b.i32(column.typmod)
                }
            case .type(let oid, let namespace, let name):
                b.char("Y")
                b.u32(oid)
                b.string(namespace)
                b.string(name)
            case .insert(let relation, let new):
                b.char("I")
                b.u32(relation)
                b.char("N")
                tuple(new)
            case .update(let relation, let oldTuple, let new):
                b.char("U")
                b.u32(relation)
                if let oldTuple { tuple(old(oldTuple)) }
                b.char("N")
                tuple(new)
            case .delete(let relation, let oldTuple):
                b.char("D")
                b.u32(relation)
                tuple(old(oldTuple))
            case .truncate(let relations, let options):
                b.char("T")
                b.i32(Int32(relations.count))
                b.u8(options)
                for r in relations { b.u32(r) }
            case .message(let transactional, let lsn, let prefix, let content):
                b.char("M")
                b.u8(transactional ? 1 : 0)
                b.u64(lsn.rawValue)
                b.string(prefix)
                b.i32(Int32(content.count))
                b.bytes.append(contentsOf: content)
            }
        }
    }
}

extension ChangeEventDecoder {
    /// Decodes `message` as it arrives from the server: encoded, then decoded in place.
    mutating func event(for message: PgOutputMessage, at lsn: LSN) throws(FerryError) -> ChangeEvent? {
        var decoder = self
        let result = message.encoded.withUnsafeBytes { raw in
            Result { () throws(FerryError) -> ChangeEvent? in try decoder.event(payload: raw, at: lsn) }
        }
        self = decoder
        return try result.get()
    }
}
