import Dispatch

/// Runs one piece of work per column on a few threads, each thread with its own resource (a codec context).
///
/// Columns are independent, so a writer encodes and compresses them in parallel and a reader decodes them in
/// parallel. Work is handed out one column at a time, so cheap and expensive columns balance out. Each column's
/// state is touched by one thread at a time; the caller's batches are only read.
final class WorkerPool<Resource>: @unchecked Sendable {
    private let resources: [Resource]

    /// - Parameter threads: worker count; 1 runs everything on the calling thread.
    init(threads: Int, makeResource: () -> Resource) {
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
        let progress = Progress()
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
}

/// Carries a value the compiler can't prove Sendable into a `concurrentPerform` closure. Safe here because each
/// closure call touches disjoint state (one column), and the pool waits for all of them before returning.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The next column to hand out and the first error, shared by the workers under a lock.
private final class Progress: @unchecked Sendable {
    private let lock = Lock()
    private var next = 0
    private var firstFailure: ParquetError?

    func claim(below count: Int) -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func record(_ error: ParquetError) {
        lock.withLock { firstFailure = firstFailure ?? error }
    }

    var failure: ParquetError? { lock.withLock { firstFailure } }
}
