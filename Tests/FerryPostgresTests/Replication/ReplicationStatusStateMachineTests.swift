import FerryCore
import Testing

@testable import FerryPostgres

/// The replication stream's status and keepalive rules, driven with made-up instants: no server, no sleeps.
@Suite struct ReplicationStatusStateMachineTests {
    typealias Machine = ReplicationStatusStateMachine
    let t0 = ContinuousClock.now

    func machine() -> Machine { Machine(interval: .seconds(5), now: t0) }
    func lsn(_ v: UInt64) -> LSN { LSN(rawValue: v) }

    @Test func aStatusGoesOutEveryIntervalWhileTheCallerReads() {
        var m = machine()
        #expect(m.reading(now: t0 + .seconds(4)) == nil)
        #expect(m.reading(now: t0 + .seconds(5)) == Machine.Status(position: .zero, replyRequested: false))
        #expect(m.reading(now: t0 + .seconds(9)) == nil, "the timer restarts at each status")
        #expect(m.reading(now: t0 + .seconds(10)) != nil)
    }

    @Test func aReadWakesForTheNextPeriodicStatus() {
        var m = machine()
        #expect(m.wakeTime(deadline: t0 + .seconds(60)) == t0 + .seconds(5))
        #expect(m.wakeTime(deadline: t0 + .seconds(1)) == t0 + .seconds(1))
        _ = m.confirm(lsn(10), now: t0 + .seconds(3))
        #expect(m.wakeTime(deadline: t0 + .seconds(60)) == t0 + .seconds(8), "any status restarts the timer")
    }

    @Test func aStatusCarriesTheConfirmedPositionNeverMore() {
        var m = machine()
        #expect(m.confirm(lsn(300), now: t0).position == lsn(300))
        #expect(m.confirm(lsn(200), now: t0).position == lsn(300), "confirming never goes back")
        let (status, _) = m.keepalive(walEnd: lsn(900), replyRequested: true, inTransaction: false, now: t0)
        #expect(status?.position == lsn(300), "the server's position is not the applied one")
        #expect(m.closing(now: t0).position == lsn(300))
    }

    @Test func onlyKeepalivesThatAskForAReplyAreAnswered() {
        var m = machine()
        #expect(m.keepalive(walEnd: lsn(10), replyRequested: false, inTransaction: false, now: t0).status == nil)
        #expect(
            m.keepalive(walEnd: lsn(10), replyRequested: true, inTransaction: false, now: t0).status
                == Machine.Status(position: .zero, replyRequested: false))
    }

    @Test func aKeepalivePastWhatWasHandedOutIsIdleOutsideATransaction() {
        var m = machine()
        #expect(m.keepalive(walEnd: lsn(50), replyRequested: false, inTransaction: false, now: t0).idle == lsn(50))
        #expect(m.keepalive(walEnd: lsn(50), replyRequested: false, inTransaction: false, now: t0).idle == nil)
        #expect(m.keepalive(walEnd: lsn(80), replyRequested: false, inTransaction: true, now: t0).idle == nil)
        m.committed(end: lsn(120))
        #expect(m.keepalive(walEnd: lsn(100), replyRequested: false, inTransaction: false, now: t0).idle == nil)
        #expect(m.keepalive(walEnd: lsn(130), replyRequested: false, inTransaction: false, now: t0).idle == lsn(130))
    }

    @Test func requestingStatusAsksForAReplyAndMakesTheNextKeepaliveIdle() {
        var m = machine()
        _ = m.keepalive(walEnd: lsn(50), replyRequested: false, inTransaction: false, now: t0)
        #expect(m.requestStatus(now: t0) == Machine.Status(position: .zero, replyRequested: true))
        #expect(m.keepalive(walEnd: lsn(50), replyRequested: false, inTransaction: true, now: t0).idle == nil)
        #expect(m.keepalive(walEnd: lsn(50), replyRequested: false, inTransaction: false, now: t0).idle == lsn(50))
        #expect(m.keepalive(walEnd: lsn(50), replyRequested: false, inTransaction: false, now: t0).idle == nil)
        #expect(m.keepalives == 4)
    }
}
