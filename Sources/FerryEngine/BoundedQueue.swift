import FerryCore
import Foundation

/// A bounded hand-off of batches (or native row chunks) from the reader thread to the writer thread.
///
/// Bounded so memory stays at a few batches whatever the table size: a reader that gets ahead blocks until the
/// writer catches up. Either side can fail it, which wakes the other.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private let capacity: Int
    private var finished = false
    private var failure: FerryError?
    private var cancelled = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Blocks while the queue is full; throws when the consumer gave up.
    func put(_ batch: Element) throws(FerryError) {
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
    func take() throws(FerryError) -> Element? {
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

/// The queue between a table's reader and writer threads.
typealias BatchQueue = BoundedQueue<RecordBatch>
