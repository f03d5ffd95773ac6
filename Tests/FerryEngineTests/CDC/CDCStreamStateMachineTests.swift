import FerryCore
import Foundation
import Testing

@testable import FerryEngine

/// Every rule of the CDC stream loop, driven through `CDCStreamStateMachine` with made-up times: no server, no
/// sleeps. Each test names the rule it pins; reverting that rule in the machine makes it fail.
@Suite struct CDCStreamStateMachineTests {
    typealias Machine = CDCStreamStateMachine
    typealias Pending = CDCStreamStateMachine.Pending

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let settings = Machine.Settings(batchMaxRows: 1000, batchMaxBytes: 1 << 20, batchMaxSeconds: 5)

    func machine(stopAt: LSN? = nil, applied: UInt64 = 100) -> Machine {
        Machine(settings: settings, stopAt: stopAt, appliedThrough: LSN(rawValue: applied))
    }

    func lsn(_ v: UInt64) -> LSN { LSN(rawValue: v) }

    /// A pending batch of whole transactions whose first change came `age` seconds before `now`, whose newest
    /// transaction committed `lag` seconds before `now`.
    func batch(changes: Int = 10, bytes: Int = 1000, age: Double, lag: Double = 0, now: Date) -> Pending {
        Pending(
            hasBatch: true, inTransaction: false, changes: changes, bytes: bytes, transactionBytes: 0,
            firstChangeAt: now.addingTimeInterval(-age), newestCommitAt: now.addingTimeInterval(-lag))
    }

    // MARK: When a batch is due

    @Test func aBatchIsDueAtBatchMaxRowsHoweverYoung() {
        var m = machine()
        let now = t0
        let p = batch(changes: 1000, age: 0, now: now)
        #expect(m.received(.commit(end: lsn(200)), pending: p, applierIdle: true, now: now) == [.flush])
        let below = batch(changes: 999, age: 0, now: now)
        #expect(m.received(.commit(end: lsn(200)), pending: below, applierIdle: true, now: now) == [])
    }

    @Test func aBatchIsDueAtBatchMaxMemoryHoweverYoung() {
        var m = machine()
        let p = batch(bytes: 1 << 20, age: 0, now: t0)
        #expect(m.received(.commit(end: lsn(200)), pending: p, applierIdle: true, now: t0) == [.flush])
        let below = batch(bytes: (1 << 20) - 1, age: 0, now: t0)
        #expect(m.received(.commit(end: lsn(200)), pending: below, applierIdle: true, now: t0) == [])
    }

    @Test func aCaughtUpBatchIsDueOnceItIsBatchMaxSecondsOld() {
        var m = machine()
        let young = batch(age: 4.9, lag: 0.1, now: t0)
        #expect(m.received(.commit(end: lsn(200)), pending: young, applierIdle: true, now: t0) == [])
        let old = batch(age: 5, lag: 0.1, now: t0)
        #expect(m.received(.commit(end: lsn(200)), pending: old, applierIdle: true, now: t0) == [.flush])
    }

    @Test func aBatchThatIsBehindGrowsUntilTheStreamIsQuietOrTenTimesBatchMaxSeconds() {
        var m = machine()
        // Its newest transaction committed 11 s ago (more than max(5, 2 x 5)): a backlog.
        let behind = batch(age: 6, lag: 11, now: t0)
        #expect(m.isBehind(behind, now: t0))
        #expect(m.received(.commit(end: lsn(200)), pending: behind, applierIdle: true, now: t0) == [])
        // A read that times out means the backlog is over for now: time alone decides.
        #expect(m.timedOut(pending: behind, now: t0) == [.flush])
        let veryOld = batch(age: 50, lag: 60, now: t0)
        #expect(m.received(.commit(end: lsn(200)), pending: veryOld, applierIdle: true, now: t0) == [.flush])
    }

    @Test func aBatchOfTransactionsWithNothingForThePipelinesTablesIsDueAtOnce() {
        var m = machine()
        let empty = Pending(hasBatch: true, firstChangeAt: nil, newestCommitAt: t0)
        #expect(m.received(.commit(end: lsn(200)), pending: empty, applierIdle: true, now: t0) == [.flush])
    }

    @Test func nothingIsDueInsideATransactionOrWithNothingPending() {
        let m = machine()
        var open = batch(changes: 5000, age: 100, now: t0)
        open.inTransaction = true
        #expect(!m.isDue(open, quiet: true, now: t0))
        #expect(!m.isDue(.none, quiet: true, now: t0))
    }

    @Test func aQuietStreamAppliesAYoungBatchOnlyOnceItIsDue() {
        var m = machine()
        #expect(m.timedOut(pending: batch(age: 1, now: t0), now: t0) == [])
        #expect(m.timedOut(pending: batch(age: 5, now: t0), now: t0) == [.flush])
    }

    // MARK: Huge transactions

    @Test func aTransactionPastBatchMaxMemoryIsHandedOverInParts() {
        var m = machine()
        var p = Pending(hasBatch: false, inTransaction: true, changes: 10, bytes: 1 << 20, transactionBytes: 1 << 20)
        #expect(m.received(.row, pending: p, applierIdle: true, now: t0) == [.applyPart])
        p.transactionBytes = (1 << 20) - 1
        #expect(m.received(.row, pending: p, applierIdle: true, now: t0) == [])
    }

    @Test func smallTransactionsAfterABigPendingBatchAreNotCutIntoParts() {
        // The batch's bytes pass the limit because of earlier transactions: the open one ends the batch at its
        // commit, it is not cut (553413f).
        var m = machine()
        let p = Pending(hasBatch: true, inTransaction: true, changes: 900, bytes: 2 << 20, transactionBytes: 100)
        #expect(m.received(.row, pending: p, applierIdle: true, now: t0) == [])
    }

    // MARK: Confirming positions

    @Test func appliedBatchesAreConfirmedInOrderAndPartsAreNot() {
        var m = machine()
        let actions = m.applied([lsn(150), nil, lsn(300)], applierIdle: true, pending: .none)
        #expect(actions == [.confirm(lsn(150)), .confirm(lsn(300))])
        #expect(m.appliedThrough == lsn(300))
        #expect(m.applied([lsn(250)], applierIdle: true, pending: .none) == [], "never confirms backwards")
    }

    @Test func anIdlePositionIsConfirmedAtOnceWhenNothingIsPendingOrApplying() {
        var m = machine()
        #expect(m.received(.idle(walEnd: lsn(500)), pending: .none, applierIdle: true, now: t0) == [.confirm(lsn(500))])
        #expect(m.received(.idle(walEnd: lsn(500)), pending: .none, applierIdle: true, now: t0) == [])
        #expect(m.received(.idle(walEnd: lsn(400)), pending: .none, applierIdle: true, now: t0) == [])
    }

    @Test func anIdlePositionIsNotConfirmedWhileABatchIsPendingButAfterItIsApplied() {
        var m = machine()
        let p = batch(age: 1, now: t0)
        #expect(m.received(.idle(walEnd: lsn(500)), pending: p, applierIdle: true, now: t0) == [])
        #expect(m.idleEnd == lsn(500))
        // The batch is handed over and applied; then its end and the idle position are confirmed.
        #expect(m.applied([], applierIdle: false, pending: .none) == [])
        #expect(m.applied([lsn(450)], applierIdle: true, pending: .none) == [.confirm(lsn(450)), .confirm(lsn(500))])
        #expect(m.idleEnd == nil)
    }

    @Test func anIdlePositionReportedWhileABatchIsApplyingIsConfirmedOnceItCommitted() {
        // The stream reports a position once: dropping it left a caught-up follower's slot unconfirmed until the
        // server wrote new WAL (session 4's bug b).
        var m = machine()
        #expect(m.received(.idle(walEnd: lsn(500)), pending: .none, applierIdle: false, now: t0) == [])
        #expect(m.applied([], applierIdle: false, pending: .none) == [])
        #expect(m.applied([lsn(480)], applierIdle: true, pending: .none) == [.confirm(lsn(480)), .confirm(lsn(500))])
    }

    @Test func aKeptIdlePositionWaitsWhileTheNextBatchIsPending() {
        var m = machine()
        _ = m.received(.idle(walEnd: lsn(500)), pending: .none, applierIdle: false, now: t0)
        let next = batch(age: 0, now: t0)
        #expect(m.applied([lsn(480)], applierIdle: true, pending: next) == [.confirm(lsn(480))])
        #expect(m.idleEnd == lsn(500))
        #expect(m.applied([lsn(600)], applierIdle: true, pending: .none) == [.confirm(lsn(600))])
        #expect(m.idleEnd == nil, "an idle position behind what is applied is dropped, not confirmed")
    }

    @Test func theLatestOfSeveralKeptIdlePositionsIsConfirmed() {
        var m = machine()
        _ = m.received(.idle(walEnd: lsn(500)), pending: .none, applierIdle: false, now: t0)
        _ = m.received(.idle(walEnd: lsn(700)), pending: .none, applierIdle: false, now: t0)
        _ = m.received(.idle(walEnd: lsn(600)), pending: .none, applierIdle: false, now: t0)
        #expect(m.applied([], applierIdle: true, pending: .none) == [.confirm(lsn(700))])
    }

    // MARK: Stopping

    @Test func aRunStopsAtTheFirstCommitAtOrPastItsStopPosition() {
        var m = machine(stopAt: lsn(1000))
        let p = batch(age: 0, now: t0)
        #expect(m.received(.commit(end: lsn(999)), pending: p, applierIdle: true, now: t0) == [])
        #expect(m.nextStep(pending: p, applying: false, now: t0) != .finish)
        #expect(m.received(.commit(end: lsn(1000)), pending: p, applierIdle: true, now: t0) == [.finish])
        #expect(m.nextStep(pending: p, applying: false, now: t0) == .finish)
    }

    @Test func aRunStopsAtAnIdlePositionPastItsStopAndConfirmsItAfterApplying() {
        var m = machine(stopAt: lsn(1000))
        let p = batch(age: 0, now: t0)
        #expect(m.received(.idle(walEnd: lsn(1200)), pending: p, applierIdle: true, now: t0) == [.finish])
        // The loop hands the batch over and drains the applier.
        #expect(m.applied([lsn(900)], applierIdle: true, pending: .none) == [.confirm(lsn(900)), .confirm(lsn(1200))])
        var quiet = machine(stopAt: lsn(1000))
        #expect(
            quiet.received(.idle(walEnd: lsn(1000)), pending: .none, applierIdle: true, now: t0)
                == [.confirm(lsn(1000)), .finish])
    }

    @Test func aFollowerNeverStopsAtAPosition() {
        var m = machine(stopAt: nil)
        #expect(
            m.received(.commit(end: lsn(UInt64.max)), pending: batch(age: 0, now: t0), applierIdle: true, now: t0) == []
        )
        #expect(m.nextStep(pending: .none, applying: false, now: t0) != .finish)
    }

    @Test func aStopRequestWaitsForTheOpenTransactionToCommit() {
        var m = machine()
        m.requestStop()
        var open = batch(age: 0, now: t0)
        open.inTransaction = true
        #expect(m.nextStep(pending: open, applying: false, now: t0) != .finish)
        open.inTransaction = false
        #expect(m.nextStep(pending: open, applying: true, now: t0) == .finish)
    }

    // MARK: Reading

    @Test func catchingUpAsksTheServerWhereItIsAtMostOnceASecond() {
        var m = machine(stopAt: lsn(1000))
        #expect(m.timedOut(pending: .none, now: t0) == [.requestStatus])
        #expect(m.timedOut(pending: .none, now: t0.addingTimeInterval(0.9)) == [])
        #expect(m.timedOut(pending: .none, now: t0.addingTimeInterval(1)) == [.requestStatus])
        var follower = machine(stopAt: nil)
        #expect(follower.timedOut(pending: .none, now: t0) == [])
    }

    @Test func readsWaitUntilThePendingBatchIsDueAndWakeOftenWhileApplying() {
        let m = machine()
        #expect(m.nextStep(pending: .none, applying: false, now: t0) == .read(timeout: 1, gather: 0))
        #expect(m.nextStep(pending: .none, applying: true, now: t0) == .read(timeout: 0.05, gather: 0))
        // 4.5 s left of a 5 s batch: wait at most a second; gather small transactions for 20 ms.
        #expect(
            m.nextStep(pending: batch(age: 0.5, now: t0), applying: false, now: t0) == .read(timeout: 1, gather: 0.02))
        let almost = m.nextStep(pending: batch(age: 4.7, now: t0), applying: false, now: t0)
        guard case .read(let timeout, _) = almost else {
            Issue.record("expected a read, got \(almost)")
            return
        }
        #expect(abs(timeout - 0.3) < 1e-6)
        // Behind: a full second, and nothing gathered (input is already waiting).
        #expect(
            m.nextStep(pending: batch(age: 4.7, lag: 30, now: t0), applying: false, now: t0)
                == .read(timeout: 1, gather: 0))
        // Overdue: the shortest wait.
        #expect(
            m.nextStep(pending: batch(age: 9, now: t0), applying: false, now: t0) == .read(timeout: 0.01, gather: 0.02))
    }
}
