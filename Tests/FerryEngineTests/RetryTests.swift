import FerryCore
import FerryEngine
import FerrySQLite
import Foundation
import Testing

/// Wraps a real source and fails the first `failures` opens with the given error.
final class FailingSource: Source, @unchecked Sendable {
    let inner: any Source
    let error: FerryError
    private let lock = NSLock()
    private var remaining: Int
    private(set) var opens = 0

    init(_ inner: any Source, failures: Int, error: FerryError) {
        self.inner = inner
        self.remaining = failures
        self.error = error
    }

    func openReader(_ table: TableName) throws(FerryError) -> any TableReader {
        let fail = lock.withLock {
            opens += 1
            remaining -= 1
            return remaining >= 0
        }
        if fail { throw error }
        return try inner.openReader(table)
    }
}

@Suite struct RetryTests {
    func engine(_ f: ShopFixture, source: any Source, retries: Int) -> Engine {
        Engine(
            source: source, destination: f.destination, recorder: nil, workers: 1,
            retry: RetryPolicy(maxRetries: retries, baseDelay: 0.01), force: true)
    }

    @Test func transientFailuresAreRetriedUntilTheySucceed() async throws {
        let f = try ShopFixture(events: 10)
        let source = FailingSource(f.source, failures: 2, error: FerryError(.connection, "connection reset by peer"))
        let out = await engine(f, source: source, retries: 3).run(
            tables: [TableSpec(name: TableName(name: "events"))], runId: "r")
        #expect(out[0].status == .succeeded)
        #expect(out[0].attempts == 3)
        #expect(source.opens == 3)
        try expectSameContents(f, "events")
    }

    @Test func retriesStopAtMaxRetries() async throws {
        let f = try ShopFixture(events: 10)
        let source = FailingSource(
            f.source, failures: 10, error: FerryError(.transient, "deadlock detected", sqlState: "40P01"))
        let out = await engine(f, source: source, retries: 2).run(
            tables: [TableSpec(name: TableName(name: "events"))], runId: "r")
        #expect(out[0].status == .failed)
        #expect(out[0].attempts == 3)
        #expect(out[0].error?.sqlState == "40P01")
    }

    @Test func permanentErrorsAreNotRetried() async throws {
        let f = try ShopFixture(events: 10)
        let source = FailingSource(f.source, failures: 10, error: FerryError(.schema, "column x does not exist"))
        let out = await engine(f, source: source, retries: 5).run(
            tables: [TableSpec(name: TableName(name: "events"))], runId: "r")
        #expect(out[0].status == .failed)
        #expect(source.opens == 1)
    }

    @Test func backOffGrowsExponentiallyWithJitter() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: 1, maxDelay: 10)
        for _ in 0..<50 {
            #expect((0.5...1.5).contains(policy.delay(attempt: 1)))
            #expect((2...6).contains(policy.delay(attempt: 3)))
            #expect((5...15).contains(policy.delay(attempt: 9)))
        }
    }
}
