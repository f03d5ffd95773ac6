import FerryCore
import Foundation

/// A bounded hand-off of batches from the reader thread to the writer thread.
///
/// Bounded so memory stays at a few batches whatever the table size: a reader that gets ahead blocks until the
/// writer catches up. Either side can fail it, which wakes the other.
final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [RecordBatch] = []
    private let capacity: Int
    private var finished = false
    private var failure: FerryError?
    private var cancelled = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Blocks while the queue is full; throws when the consumer gave up.
    func put(_ batch: RecordBatch) throws(FerryError) {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { throw FerryError(.integrity, "the writer stopped; reading abandoned") }
        items.append(batch)
        condition.broadcast()
    }

    /// The producer is done, successfully or with `error`.
    func finish(error: FerryError? = nil) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer gives up; a blocked producer wakes with an error.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or `nil` at the end; throws the producer's error.
    func take() throws(FerryError) -> RecordBatch? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty {
            let batch = items.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }
}

/// Runs blocking work on its own thread and hands the result back to async code.
enum BlockingThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Starts `body` on a new thread; `join()` waits for it.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Joinable {
        let done = Joinable()
        let thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
        return done
    }

    final class Joinable: @unchecked Sendable {
        private let condition = NSCondition()
        private var done = false

        func signal() {
            condition.lock()
            done = true
            condition.broadcast()
            condition.unlock()
        }

        func join() {
            condition.lock()
            while !done { condition.wait() }
            condition.unlock()
        }
    }
}
