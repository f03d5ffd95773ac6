import FerryCore
import Foundation

/// A logical replication stream from a pgoutput slot, one `ChangeEvent` at a time.
///
/// Nothing is buffered beyond the message being decoded: the server sends each transaction whole at its commit
/// (no streaming requested), and `next` hands events out as they are read, so memory does not grow with a
/// transaction's size.
///
/// Status updates (postgres-wire.md B.6) go out when the server asks for one, when `confirm` or `requestStatus` is
/// called, and every `statusInterval` as long as the caller keeps calling `next` (each call checks the timer, even
/// when events are queued). Keepalives are otherwise not answered: answering each with a position behind the
/// server's makes it ping again at once (E.5).
final class PostgresChangeStream: ChangeStream {
    private let conn: ReplicationConnection
    private let catalog: PostgresRelationCatalog
    private var decoder: ChangeEventDecoder
    private let slot: String
    private let publication: String
    private let context: String
    let statusInterval: Duration
    /// The position reported to the server: the last LSN passed to `confirm`, never more.
    private(set) var confirmed: LSN
    private var lastStatus: ContinuousClock.Instant
    /// The highest position already handed out (a commit's end or an idle position): a keepalive at or below it
    /// tells the caller nothing new.
    private var reported: LSN = .zero
    /// `requestStatus` was called: the next keepalive outside a transaction becomes `.idle` even if nothing moved.
    private var idleRequested = false
    private var closed = false
    /// Keepalives received, to check that they stay rare (a ping-pong would show here).
    private(set) var keepalives = 0

    init(
        conn: ReplicationConnection, catalog: PostgresRelationCatalog, keys: [TableName: [String]], slot: String,
        publication: String, statusInterval: Duration = .seconds(5)
    ) {
        self.conn = conn
        self.catalog = catalog
        self.decoder = ChangeEventDecoder(keys: keys, catalog: catalog)
        self.slot = slot
        self.publication = publication
        self.context = "streaming changes from replication slot \(slot)"
        self.statusInterval = statusInterval
        self.confirmed = .zero
        self.lastStatus = ContinuousClock.now
    }

    deinit { close() }

    func next(timeout: Double, gather: Double) throws(FerryError) -> ChangeEvent? {
        try open()
        let deadline = ContinuousClock.now + .milliseconds(Int64(min(max(0, timeout), 86_400) * 1000))
        do throws(FerryError) {
            while true {
                if ContinuousClock.now - lastStatus >= statusInterval { try sendStatus(replyRequested: false) }
                if let event = try drain() { return event }
                try conn.consumeInput(context: context)
                if let event = try drain() { return event }
                let now = ContinuousClock.now
                guard now < deadline else { return nil }
                let wake = min(deadline, lastStatus + statusInterval)
                let wait = Double(max(0, (wake - now).milliseconds)) / 1000
                if gather > 0 {
                    // Let input pile up in the socket; the next consumeInput takes all of it at once.
                    try conn.flush(context: context)
                    Thread.sleep(forTimeInterval: min(gather, wait))
                } else {
                    try conn.waitForInput(seconds: wait, context: context)
                }
            }
        } catch {
            throw ReplicationErrors.streamFailed(error, slot: slot, publication: publication)
        }
    }

    func confirm(_ lsn: LSN) throws(FerryError) {
        try open()
        confirmed = max(confirmed, lsn)
        try sendStatus(replyRequested: false)
    }

    func requestStatus() throws(FerryError) {
        try open()
        idleRequested = true
        try sendStatus(replyRequested: true)
    }

    /// Reports the confirmed position a last time, ends the stream so the server releases the slot, and closes.
    func close() {
        guard !closed else { return }
        closed = true
        if conn.isOpen { try? sendStatus(replyRequested: false) }
        conn.endStreaming()
        catalog.close()
    }

    private func open() throws(FerryError) {
        guard !closed else { throw FerryError(.integrity, "\(context): the stream is closed") }
    }

    /// Decodes buffered messages until one yields an event.
    private func drain() throws(FerryError) -> ChangeEvent? {
        while let received = try conn.withNextMessage(
            context: context, { (raw: UnsafeRawBufferPointer) throws(FerryError) in try receive(raw) })
        {
            if let event = try handle(received) { return event }
        }
        return nil
    }

    /// What one CopyData message brought: an event (decoded while libpq's buffer is valid) or a keepalive.
    private enum Received {
        case event(ChangeEvent?)
        case keepalive(walEnd: LSN, replyRequested: Bool)
    }

    private func receive(_ raw: UnsafeRawBufferPointer) throws(FerryError) -> Received {
        switch try ReplicationFrame.decode(raw) {
        case .xlogData(_, let walEnd, let payload):
            let event = try decoder.event(payload: UnsafeRawBufferPointer(rebasing: raw[payload...]), at: walEnd)
            if case .commit(_, let end, _)? = event { reported = max(reported, end) }
            return .event(event)
        case .keepalive(let walEnd, let replyRequested):
            return .keepalive(walEnd: walEnd, replyRequested: replyRequested)
        }
    }

    private func handle(_ received: Received) throws(FerryError) -> ChangeEvent? {
        switch received {
        case .event(let event):
            return event
        case .keepalive(let walEnd, let replyRequested):
            keepalives += 1
            if replyRequested { try sendStatus(replyRequested: false) }
            // Inside a transaction the position is not a safe point to confirm.
            guard !decoder.inTransaction, walEnd > reported || idleRequested else { return nil }
            idleRequested = false
            reported = max(reported, walEnd)
            return .idle(walEnd: reported)
        }
    }

    private func sendStatus(replyRequested: Bool) throws(FerryError) {
        let clock = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
        try conn.send(
            StandbyStatusUpdate.encode(position: confirmed, clock: clock, replyRequested: replyRequested),
            context: context)
        lastStatus = ContinuousClock.now
    }
}
