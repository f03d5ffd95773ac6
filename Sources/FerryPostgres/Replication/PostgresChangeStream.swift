import FerryCore
import Foundation

/// A logical replication stream from a pgoutput slot, one `ChangeEvent` at a time.
///
/// Nothing is buffered beyond the message being decoded: the server sends each transaction whole at its commit
/// (no streaming requested), and `next` hands events out as they are read, so memory does not grow with a
/// transaction's size.
///
/// When status updates go out and which keepalives become `.idle` events is `ReplicationStatusStateMachine`'s
/// decision; this class reads, decodes and sends what the machine says.
final class PostgresChangeStream: ChangeStream {
    private let conn: ReplicationConnection
    private let catalog: PostgresRelationCatalog
    private var decoder: ChangeEventDecoder
    private let slot: String
    private let publication: String
    private let context: String
    private var status: ReplicationStatusStateMachine
    private let clock: any WallClock
    private var closed = false

    var statusInterval: Duration { status.interval }
    /// The position reported to the server: the last LSN passed to `confirm`, never more.
    var confirmed: LSN { status.confirmed }
    /// Keepalives received, to check that they stay rare (a ping-pong would show here).
    var keepalives: Int { status.keepalives }

    init(
        conn: ReplicationConnection, catalog: PostgresRelationCatalog, keys: [TableName: [String]], slot: String,
        publication: String, statusInterval: Duration = .seconds(5), clock: any WallClock = SystemClock()
    ) {
        self.conn = conn
        self.catalog = catalog
        self.decoder = ChangeEventDecoder(keys: keys, catalog: catalog)
        self.slot = slot
        self.publication = publication
        self.context = "streaming changes from replication slot \(slot)"
        self.status = ReplicationStatusStateMachine(interval: statusInterval, now: .now)
        self.clock = clock
    }

    deinit { close() }

    func next(timeout: Double, gather: Double) throws(FerryError) -> ChangeEvent? {
        try open()
        let deadline = ContinuousClock.now + .milliseconds(Int64(min(max(0, timeout), 86_400) * 1000))
        do throws(FerryError) {
            while true {
                if let due = status.reading(now: .now) { try send(due) }
                if let event = try drain() { return event }
                try conn.consumeInput(context: context)
                if let event = try drain() { return event }
                let now = ContinuousClock.now
                guard now < deadline else { return nil }
                let wake = status.wakeTime(deadline: deadline)
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
        try send(status.confirm(lsn, now: .now))
    }

    func requestStatus() throws(FerryError) {
        try open()
        try send(status.requestStatus(now: .now))
    }

    /// Reports the confirmed position a last time, ends the stream so the server releases the slot, and closes.
    func close() {
        guard !closed else { return }
        closed = true
        if conn.isOpen { try? send(status.closing(now: .now)) }
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
            if case .commit(_, let end, _)? = event { status.committed(end: end) }
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
            let (answer, idle) = status.keepalive(
                walEnd: walEnd, replyRequested: replyRequested, inTransaction: decoder.inTransaction, now: .now)
            if let answer { try send(answer) }
            return idle.map { .idle(walEnd: $0) }
        }
    }

    /// Sends a standby status update; its clock field is the wall-clock time of sending.
    private func send(_ update: ReplicationStatusStateMachine.Status) throws(FerryError) {
        let micros = Int64((clock.now().timeIntervalSince1970 * 1_000_000).rounded())
        try conn.send(
            StandbyStatusUpdate.encode(
                position: update.position, clock: micros, replyRequested: update.replyRequested),
            context: context)
    }
}
