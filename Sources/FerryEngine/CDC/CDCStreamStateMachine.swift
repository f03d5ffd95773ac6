import FerryCore
import Foundation

/// The decisions of a CDC run's stream loop: when the pending batch is due, when a huge transaction is handed over
/// in parts, when a position may be confirmed to the slot, when to ask the server where it is, and when to stop.
///
/// A value type in the style of postgres-nio's connection state machine: the loop (`CDCRun.stream`) reports what
/// happened (an event read and folded, a read that timed out, batches the applier finished, a stop request) with
/// the time and what the batcher and the applier hold, and executes the actions it gets back. Nothing here reads a
/// clock or does I/O, so every rule is unit-tested without a server and without sleeping.
///
/// The rules:
/// - Only whole transactions are batched, except a transaction whose own folded changes pass `batch_max_memory`:
///   that one is handed over in parts, so memory stays bounded.
/// - A batch is due at `batch_max_rows` changes or `batch_max_memory` bytes; else, once its first change is
///   `batch_max_seconds` old, when the stream is quiet or caught up (a backlog grows batches to `batch_max_rows`:
///   fewer, bigger batches catch up faster), and in any case at ten times `batch_max_seconds`. A batch of
///   transactions with nothing for the pipeline's tables is due at once (nothing to apply, a position to confirm).
/// - A position is confirmed only after the targets committed everything up to it: the end of each applied batch,
///   or a server position reported while idle once nothing is pending or being applied. An idle position reported
///   while a batch is pending or applying is kept and confirmed as soon as nothing is (the server reports it once).
/// - `ferry run` stops at the first commit or idle position at or past the position read when it started;
///   `--follow` stops when asked, but never inside a transaction. Stopping applies and confirms what is pending.
struct CDCStreamStateMachine {
    struct Settings: Equatable {
        var batchMaxRows: Int
        var batchMaxBytes: Int
        var batchMaxSeconds: Double
    }

    /// What the batcher holds: the pending batch, as far as the decisions need to know it.
    struct Pending: Equatable {
        /// Whole transactions are folded and wait to be applied.
        var hasBatch = false
        /// A transaction is open (its begin was read, its commit not yet).
        var inTransaction = false
        var changes = 0
        var bytes = 0
        /// Of `bytes`, those of the open transaction (since its start or its last part).
        var transactionBytes = 0
        /// When the pending batch's first change was folded (`nil`: no change for these tables yet).
        var firstChangeAt: Date?
        /// Source commit time of the batch's newest transaction.
        var newestCommitAt: Date?

        static let none = Pending()
    }

    /// What a folded event was, as far as the decisions need to know it.
    enum Event: Equatable {
        case commit(end: LSN)
        case row
        case idle(walEnd: LSN)
        case other
    }

    /// How the loop reads next, or that it should stop.
    enum Step: Equatable {
        /// Wait at most `timeout` seconds for the next event, letting input gather for `gather` seconds first.
        case read(timeout: Double, gather: Double)
        /// Stop: hand over what is pending, wait for the applier, report what it applied (`applied(_:idle:...)`),
        /// execute those actions, and end the run.
        case finish
    }

    enum Action: Equatable {
        /// Hand the pending whole transactions to the applier.
        case flush
        /// Hand what the open transaction folded so far to the applier, as a part of that transaction.
        case applyPart
        /// Record that every target holds the source up to this position, then confirm it to the slot.
        case confirm(LSN)
        /// Ask the server to report its position (an idle event follows when no transaction is open).
        case requestStatus
        /// Stop (see `Step.finish`).
        case finish
    }

    let settings: Settings
    /// Where `ferry run` stops; `nil` when following.
    let stopAt: LSN?
    /// Every target holds the source up to here (recorded in the state store).
    private(set) var appliedThrough: LSN
    /// The latest idle server position not confirmed yet because a batch was pending or applying then.
    private(set) var idleEnd: LSN?
    private(set) var stopRequested = false
    /// The run reached its stop position (or was stopped) and is finishing.
    private(set) var finishing = false
    private var lastStatusRequest: Date = .distantPast

    init(settings: Settings, stopAt: LSN?, appliedThrough: LSN) {
        self.settings = settings
        self.stopAt = stopAt
        self.appliedThrough = appliedThrough
    }

    /// SIGINT/SIGTERM: stop after the transaction in progress, applying and confirming what is pending.
    mutating func requestStop() { stopRequested = true }

    /// What to do before reading the next event. While a batch is being applied, reads wake every 50 ms so its
    /// position is confirmed soon after it commits even on a quiet stream.
    func nextStep(pending: Pending, applying: Bool, now: Date) -> Step {
        if finishing || (stopRequested && !pending.inTransaction) { return .finish }
        let wait = batchWaitTime(pending, now: now)
        return .read(timeout: applying ? min(wait, 0.05) : wait, gather: gatherTime(pending, now: now))
    }

    /// An event was read and folded into the batcher; `pending` is what the batcher holds now.
    mutating func received(_ event: Event, pending: Pending, applierIdle: Bool, now: Date) -> [Action] {
        switch event {
        case .commit(let end):
            if let stopAt, end >= stopAt { return finish() }
            return isDue(pending, quiet: false, now: now) ? [.flush] : []
        case .row:
            if pending.inTransaction && pending.transactionBytes >= settings.batchMaxBytes { return [.applyPart] }
            return []
        case .idle(let walEnd):
            // Only once everything received is applied may the server's position be confirmed. At the stop
            // position, apply and finish; otherwise confirm only when nothing is pending or applying: a keepalive
            // follows every confirmation, and flushing on each would cut the stream into tiny batches.
            if pending.hasBatch || pending.inTransaction || !applierIdle {
                idleEnd = max(idleEnd ?? walEnd, walEnd)
                if let stopAt, walEnd >= stopAt { return finish() }
                return []
            }
            var actions: [Action] = []
            if walEnd > appliedThrough {
                appliedThrough = walEnd
                actions.append(.confirm(walEnd))
            }
            if let stopAt, walEnd >= stopAt { actions += finish() }
            return actions
        case .other:
            return []
        }
    }

    /// No event arrived within the read's timeout: the stream has caught up for now, so time alone decides. When
    /// catching up to a stop position, the server is asked (at most once a second) where it is.
    mutating func timedOut(pending: Pending, now: Date) -> [Action] {
        var actions: [Action] = []
        if isDue(pending, quiet: true, now: now) { actions.append(.flush) }
        if stopAt != nil, now.timeIntervalSince(lastStatusRequest) >= 1 {
            lastStatusRequest = now
            actions.append(.requestStatus)
        }
        return actions
    }

    /// The applier finished these batches (their end positions, in order; `nil` for a part of a transaction).
    /// `applierIdle` says whether the applier was idle before they were collected, so nothing it finished is left
    /// out; `pending` is what the batcher holds.
    mutating func applied(_ ends: [LSN?], applierIdle: Bool, pending: Pending) -> [Action] {
        var actions: [Action] = []
        for case let end? in ends where end > appliedThrough {
            appliedThrough = end
            actions.append(.confirm(end))
        }
        if let end = idleEnd, !pending.hasBatch, !pending.inTransaction, applierIdle {
            idleEnd = nil
            if end > appliedThrough {
                appliedThrough = end
                actions.append(.confirm(end))
            }
        }
        return actions
    }

    private mutating func finish() -> [Action] {
        finishing = true
        return [.finish]
    }

    /// Whether the pending batch should be applied now (only whole transactions are ever pending).
    ///
    /// `batch_max_seconds` bounds latency, which only matters once caught up: while the batch's newest transaction
    /// is already old (a backlog, or a source writing faster than the target applies), batches grow to
    /// `batch_max_rows`, because each batch costs a rewrite of the files it touches and fewer, bigger batches catch
    /// up faster. A hard cap of ten times `batch_max_seconds` keeps a skewed source clock from holding a batch back.
    func isDue(_ pending: Pending, quiet: Bool, now: Date) -> Bool {
        guard pending.hasBatch, !pending.inTransaction else { return false }
        if pending.changes >= settings.batchMaxRows || pending.bytes >= settings.batchMaxBytes { return true }
        // Only transactions with nothing for these tables: nothing to apply, a position to confirm. Held back, it
        // would keep the idle confirmation away for good (that waits for nothing pending).
        guard let first = pending.firstChangeAt else { return true }
        let age = now.timeIntervalSince(first)
        guard age >= settings.batchMaxSeconds else { return false }
        if quiet || age >= 10 * settings.batchMaxSeconds { return true }
        return !isBehind(pending, now: now)
    }

    /// Whether the newest transaction of the pending batch committed well before now.
    func isBehind(_ pending: Pending, now: Date) -> Bool {
        guard let newest = pending.newestCommitAt else { return false }
        return now.timeIntervalSince(newest) > max(5, 2 * settings.batchMaxSeconds)
    }

    /// How long to wait for the next event: until the pending batch is due, at most a second (to notice a stop);
    /// behind, a full second, so that only real quiet (not a pause in a backlog) applies a batch early.
    private func batchWaitTime(_ pending: Pending, now: Date) -> Double {
        guard let first = pending.firstChangeAt, !isBehind(pending, now: now) else { return 1 }
        let left = settings.batchMaxSeconds - now.timeIntervalSince(first)
        return min(1, max(0.01, left))
    }

    /// How long to let input gather before reading it: while following a source of small transactions, each one
    /// woke the stream thread several times (poll, recv, acks were most of its CPU); a pending batch that is not due
    /// yet can wait a little and take them in bulk. Nothing is gathered when no batch is pending (the first change
    /// starts the clock) or while behind (input is already waiting).
    private func gatherTime(_ pending: Pending, now: Date) -> Double {
        guard pending.hasBatch, !isBehind(pending, now: now) else { return 0 }
        return min(0.02, settings.batchMaxSeconds / 20)
    }
}
