import FerryCore

/// When a logical replication stream reports its position to the server (standby status updates,
/// postgres-wire.md B.6), and which keepalives tell the caller that the server is idle.
///
/// A value type fed with what happened and the time, returning what to send (postgres-nio's style): the I/O code
/// (`PostgresChangeStream`) only executes it, and the timing rules are unit-tested without a server or sleeps.
///
/// The rules:
/// - A status goes out when the server asks for one, when the caller confirms a position or asks the server to
///   report, and every `interval` while the caller keeps reading (each read checks the timer, even when events are
///   queued). It always carries the confirmed position: the last one the caller confirmed, never more.
/// - Other keepalives are not answered: answering each with a position behind the server's makes it ping again at
///   once.
/// - A keepalive outside a transaction whose position is past anything already handed out becomes an idle event
///   (`ChangeEvent.idle`), as does the first one after `requestStatus` even if nothing moved. Inside a transaction
///   the server's position is not a safe point to confirm.
struct ReplicationStatusStateMachine {
    /// A standby status update to send.
    struct Status: Equatable {
        var position: LSN
        var replyRequested: Bool
    }

    let interval: Duration
    /// The position reported to the server: the last one passed to `confirm`, never more.
    private(set) var confirmed: LSN = .zero
    private(set) var lastStatus: ContinuousClock.Instant
    /// The highest position already handed out (a commit's end or an idle position).
    private var reported: LSN = .zero
    /// `requestStatus` was called: the next keepalive outside a transaction is idle even if nothing moved.
    private var idleRequested = false
    /// Keepalives received, so tests can check that they stay rare (a ping-pong would show here).
    private(set) var keepalives = 0

    init(interval: Duration, now: ContinuousClock.Instant) {
        self.interval = interval
        self.lastStatus = now
    }

    /// Before each read: the periodic status, when one is due.
    mutating func reading(now: ContinuousClock.Instant) -> Status? {
        guard now - lastStatus >= interval else { return nil }
        return status(replyRequested: false, now: now)
    }

    /// The latest time a read may wait until: its own deadline or the next periodic status.
    func wakeTime(deadline: ContinuousClock.Instant) -> ContinuousClock.Instant {
        min(deadline, lastStatus + interval)
    }

    /// A commit was decoded: its end is handed out.
    mutating func committed(end: LSN) { reported = max(reported, end) }

    /// A keepalive arrived: the status to answer it with (when the server asked), and the idle position to hand
    /// out, if any.
    mutating func keepalive(
        walEnd: LSN, replyRequested: Bool, inTransaction: Bool, now: ContinuousClock.Instant
    ) -> (status: Status?, idle: LSN?) {
        keepalives += 1
        let answer = replyRequested ? status(replyRequested: false, now: now) : nil
        guard !inTransaction, walEnd > reported || idleRequested else { return (answer, nil) }
        idleRequested = false
        reported = max(reported, walEnd)
        return (answer, reported)
    }

    /// The caller confirmed `lsn` (the targets hold everything before it): report it now.
    mutating func confirm(_ lsn: LSN, now: ContinuousClock.Instant) -> Status {
        confirmed = max(confirmed, lsn)
        return status(replyRequested: false, now: now)
    }

    /// The caller wants to know where the server is: ask for a reply, and hand out the next idle keepalive.
    mutating func requestStatus(now: ContinuousClock.Instant) -> Status {
        idleRequested = true
        return status(replyRequested: true, now: now)
    }

    /// The stream is closing: report the confirmed position a last time.
    mutating func closing(now: ContinuousClock.Instant) -> Status { status(replyRequested: false, now: now) }

    private mutating func status(replyRequested: Bool, now: ContinuousClock.Instant) -> Status {
        lastStatus = now
        return Status(position: confirmed, replyRequested: replyRequested)
    }
}
