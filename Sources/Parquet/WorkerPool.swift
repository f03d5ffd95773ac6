import Dispatch

/// Runs pieces of independent work on a few threads, each thread with its own resource (a codec context).
///
/// Columns are independent, so a writer encodes and compresses them in parallel and a reader decodes them in
/// parallel; a Delta merge rewrites a few data files at once the same way. Work is handed out one piece at a time,
/// so cheap and expensive pieces balance out. Each piece's state is touched by one thread at a time; the caller's
/// inputs are only read.
///
/// Public so that libraries built on this one share one pool rather than each growing its own.
public final class WorkerPool<Resource>: @unchecked Sendable {
    private let resources: [Resource]

    /// - Parameter threads: worker count; 1 runs everything on the calling thread.
    public init(threads: Int, makeResource: () -> Resource) {
        resources = (0..<max(1, threads)).map { _ in makeResource() }
    }

    var threads: Int { resources.count }

    /// Calls `body(index, resource)` for every index in `0..<count`, in parallel, and returns once all are done.
    /// - Throws: the first error any call threw (the others still run to completion).
    func forEach(_ count: Int, _ body: (Int, Resource) throws(ParquetError) -> Void) throws(ParquetError) {
        let workers = min(resources.count, count)
        if workers <= 1 {
            for index in 0..<count { try body(index, resources[0]) }
            return
        }
        let progress = Progress<ParquetError>(order: nil, stopOnFailure: false)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let resource = resources[worker]
                while let index = progress.claim(below: count) {
                    do throws(ParquetError) {
                        try shared.value(index, resource)
                    } catch {
                        progress.record(error)
                    }
                }
            }
        }
        if let failure = progress.failure { throw failure }
    }

    /// `body(index, resource)` of every index in `0..<count`, handed out in `order` (a permutation of the indexes:
    /// starting the largest pieces first keeps the last one from running alone), at most one per thread at a time.
    ///
    /// After a failure no further index starts, so a caller can undo what the pieces that did run produced: their
    /// outcomes are in the result (by index), and the indexes never started are `nil`.
    public func map<Output, Failure: Error>(
        _ count: Int, order: [Int], _ body: (Int, Resource) throws(Failure) -> Output
    ) -> [Result<Output, Failure>?] {
        let workers = min(resources.count, count)
        guard workers > 1 else {
            var out: [Result<Output, Failure>?] = Array(repeating: nil, count: count)
            for index in order {
                do throws(Failure) {
                    out[index] = .success(try body(index, resources[0]))
                } catch {
                    out[index] = .failure(error)
                    break
                }
            }
            return out
        }
        let progress = Progress<Failure>(order: order, stopOnFailure: true)
        let outcomes = Outcomes<Output, Failure>(count: count)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let resource = resources[worker]
                while let index = progress.claim(below: count) {
                    let outcome: Result<Output, Failure>
                    do throws(Failure) {
                        outcome = .success(try shared.value(index, resource))
                    } catch {
                        outcome = .failure(error)
                        progress.record(error)
                    }
                    outcomes.record(outcome, at: index)
                }
            }
        }
        return outcomes.all
    }
}

/// Carries a value the compiler can't prove Sendable into a `concurrentPerform` closure.
///
/// Safe in ``WorkerPool``: each call of the carried closure touches disjoint state (one column, one data file),
/// and the pool waits for all of them before returning, so nothing it carries outlives the call or is written by
/// two threads.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The next index to hand out and the first error, shared by the workers under a lock.
private final class Progress<Failure: Error>: @unchecked Sendable {
    private let lock = Lock()
    /// The indexes in the order they are handed out; `nil` for `0..<count` in order.
    private let order: [Int]?
    /// Whether a failure stops handing out indexes.
    private let stopOnFailure: Bool
    private var next = 0
    private var firstFailure: Failure?

    init(order: [Int]?, stopOnFailure: Bool) {
        self.order = order
        self.stopOnFailure = stopOnFailure
    }

    func claim(below count: Int) -> Int? {
        lock.withLock {
            guard next < (order?.count ?? count), !(stopOnFailure && firstFailure != nil) else { return nil }
            defer { next += 1 }
            return order?[next] ?? next
        }
    }

    func record(_ error: Failure) {
        lock.withLock { firstFailure = firstFailure ?? error }
    }

    var failure: Failure? { lock.withLock { firstFailure } }
}

/// The outcome of each index of ``WorkerPool/map(_:order:_:)``, written by the workers under a lock.
private final class Outcomes<Output, Failure: Error>: @unchecked Sendable {
    private let lock = Lock()
    private var outcomes: [Result<Output, Failure>?]

    init(count: Int) {
        outcomes = Array(repeating: nil, count: count)
    }

    func record(_ outcome: Result<Output, Failure>, at index: Int) {
        lock.withLock { outcomes[index] = outcome }
    }

    var all: [Result<Output, Failure>?] { lock.withLock { outcomes } }
}
