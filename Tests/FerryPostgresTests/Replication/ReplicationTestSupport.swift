import FerryCore
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

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

    /// Waits (up to 10 s) until the slot's confirmed_flush_lsn reaches `lsn`: the server applies status updates
    /// asynchronously. Returns the last value seen.
    @discardableResult
    func waitForConfirmed(_ source: PostgresChangeSource, atLeast lsn: LSN) throws -> LSN? {
        var seen: LSN?
        for _ in 0..<100 {
            seen = try slotRow(source)?.confirmed
            if let seen, seen >= lsn { return seen }
            usleep(100_000)
        }
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

    /// Reads `stream` until an `.idle` event at or past `lsn` arrives; returns it (`nil` after `timeout` seconds).
    static func idle(_ stream: any ChangeStream, atLeast lsn: LSN, timeout: Double = 20) throws -> (LSN, StreamLog)? {
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
