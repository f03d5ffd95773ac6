import CLibPQ
import FerryCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension PostgresConnectionConfig {
    /// The conninfo of a `replication=database` (walsender) connection: the pinned settings win over any extra
    /// `options` (text-mode values depend on them, postgres-wire.md E.9), bytea comes in hex, and there is no
    /// `statement_timeout`, since `START_REPLICATION` runs for as long as the stream is open.
    func replicationConninfo() -> String {
        var copy = self
        copy.commandTimeout = nil
        let extra = [options, Self.pinnedSettings, "-c bytea_output=hex"].compactMap { $0 }.filter { !$0.isEmpty }
        copy.options = extra.joined(separator: " ")
        return copy.conninfo() + " replication=" + Self.quoteConninfoValue("database")
    }
}

/// A walsender connection (`replication=database`): replication commands and plain SQL through the simple query
/// protocol (the extended protocol is refused there, B.1), and the CopyBoth stream of `START_REPLICATION`.
///
/// Once streaming, the connection is non-blocking: reads never wait inside libpq, so the caller can keep its
/// status timer running while it waits for data (E.6). Every buffer libpq hands out is freed before returning.
final class ReplicationConnection {
    private let conn: PGConnection
    var endpoint: String { conn.endpoint }

    init(config: PostgresConnectionConfig) throws(FerryError) {
        conn = try PGConnection(conninfo: config.replicationConninfo(), endpoint: config.redactedDescription)
    }

    deinit { close() }

    var isOpen: Bool { conn.isOpen }

    /// `PQserverVersion`: 150004 for 15.4; 0 when closed.
    var serverVersion: Int {
        guard let c = try? conn.handle("reading the server version", table: nil) else { return 0 }
        return Int(PQserverVersion(c))
    }

    /// Runs a replication command (or SQL without parameters) and returns its rows.
    @discardableResult
    func command(_ sql: String, context: String) throws(FerryError) -> PGRows {
        try conn.exec(sql, context: context)
    }

    /// Sends `START_REPLICATION …` and expects the CopyBoth state; a refusal (missing slot, slot in use) throws
    /// the server's error with its SQLSTATE.
    func startStreaming(_ sql: String, context: String) throws(FerryError) {
        let c = try conn.handle(context, table: nil)
        let res = try conn.check(PQexec(c, sql), context: context, table: nil, expect: [PGRES_COPY_BOTH])
        PQclear(res)
        guard PQsetnonblocking(c, 1) == 0 else { throw conn.connectionError(context: context, table: nil) }
    }

    /// Hands the next complete CopyData message to `body` and frees it; `nil` when none is buffered. When the
    /// server ends the stream, throws its reason (an error that only surfaces after CopyBoth, such as an unknown
    /// publication, comes this way).
    func withNextMessage<T>(
        context: String, _ body: (UnsafeRawBufferPointer) throws(FerryError) -> T
    ) throws(FerryError) -> T? {
        let c = try conn.handle(context, table: nil)
        var buffer: UnsafeMutablePointer<CChar>? = nil
        let n = PQgetCopyData(c, &buffer, 1)
        if n > 0, let buffer {
            defer { PQfreemem(buffer) }
            return try body(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
        }
        if let buffer { PQfreemem(buffer) }
        if n == 0 { return nil }
        if n == -1 {
            try conn.drainResults(c, context: context, table: nil)
            throw FerryError(
                .connection,
                "\(context) failed: the server ended the replication stream; the run reconnects and resumes")
        }
        throw conn.connectionError(context: context, table: nil)
    }

    /// Moves whatever the socket has into libpq's buffer without waiting.
    func consumeInput(context: String) throws(FerryError) {
        let c = try conn.handle(context, table: nil)
        guard PQconsumeInput(c) == 1 else { throw conn.connectionError(context: context, table: nil) }
    }

    /// Sends what libpq has queued, as far as the socket takes it without waiting.
    func flush(context: String) throws(FerryError) {
        let c = try conn.handle(context, table: nil)
        guard PQflush(c) >= 0 else { throw conn.connectionError(context: context, table: nil) }
    }

    /// Waits up to `seconds` for the socket to become readable, flushing queued output meanwhile.
    func waitForInput(seconds: Double, context: String) throws(FerryError) {
        let c = try conn.handle(context, table: nil)
        let flush = PQflush(c)
        guard flush >= 0 else { throw conn.connectionError(context: context, table: nil) }
        var events = Int16(POLLIN)
        if flush == 1 { events |= Int16(POLLOUT) }
        var fd = pollfd(fd: PQsocket(c), events: events, revents: 0)
        let ms = Int32(max(0, min(seconds * 1000, Double(Int32.max))).rounded(.up))
        _ = poll(&fd, 1, ms)  // EINTR and timeouts alike: the caller looks again
    }

    /// Queues one CopyData message and flushes it. Waits (up to 30 s) only if the socket's buffers are full.
    func send(_ bytes: [UInt8], context: String) throws(FerryError) {
        let c = try conn.handle(context, table: nil)
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let queued = bytes.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { PQputCopyData(c, $0.baseAddress, Int32($0.count)) }
            }
            if queued == 1 { break }
            guard queued == 0 else { throw conn.connectionError(context: context, table: nil) }
            try waitWritable(c, until: deadline, context: context)
        }
        while true {
            let flushed = PQflush(c)
            if flushed == 0 { return }
            guard flushed == 1 else { throw conn.connectionError(context: context, table: nil) }
            try waitWritable(c, until: deadline, context: context)
        }
    }

    private func waitWritable(
        _ c: OpaquePointer, until deadline: ContinuousClock.Instant, context: String
    ) throws(FerryError) {
        guard ContinuousClock.now < deadline else {
            throw FerryError(.connection, "\(context) failed: the server at \(endpoint) stopped reading for 30 s")
        }
        var fd = pollfd(fd: PQsocket(c), events: Int16(POLLOUT) | Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, 100)
        // Reading what the server sends meanwhile keeps both sides from waiting on each other.
        guard PQconsumeInput(c) == 1 else { throw conn.connectionError(context: context, table: nil) }
    }

    /// Ends a stream politely (CopyDone, then what the server still sends is discarded) so the server releases
    /// the slot before this returns, then closes. Gives up after `seconds` and just closes.
    func endStreaming(seconds: Double = 5) {
        guard conn.isOpen, let c = try? conn.handle("ending the replication stream", table: nil) else { return }
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        func wait() -> Bool {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var fd = pollfd(fd: PQsocket(c), events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, Int32(min(1000, max(1, left.milliseconds))))
            return PQconsumeInput(c) == 1
        }
        var ended = PQputCopyEnd(c, nil)
        while ended == 0 {
            guard PQflush(c) >= 0, wait() else { return close() }
            ended = PQputCopyEnd(c, nil)
        }
        guard ended == 1 else { return close() }
        while PQflush(c) == 1 { guard wait() else { return close() } }
        while true {
            var buffer: UnsafeMutablePointer<CChar>? = nil
            let n = PQgetCopyData(c, &buffer, 1)
            if let buffer { PQfreemem(buffer) }
            if n == -1 { break }
            if n < -1 { return close() }
            if n == 0 { guard wait() else { return close() } }
        }
        while true {
            while PQisBusy(c) == 1 { guard wait() else { return close() } }
            guard let res = PQgetResult(c) else { break }
            let status = PQresultStatus(res)
            PQclear(res)
            if status == PGRES_COPY_BOTH || status == PGRES_COPY_OUT || status == PGRES_COPY_IN { break }
        }
        close()
    }

    /// Closes the connection: the server drops a temporary slot and forgets an exported snapshot.
    func close() {
        conn.close()
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
