import Dispatch
import FerryCore
import Foundation

/// Maps items on a few threads, results in item order.
enum ConcurrentMap {
    /// `body` of each item, run on up to `threads` threads with items handed out one at a time in `order` (indexes
    /// of `items`; the largest first keeps the last one from running alone), so at most `threads` are in progress.
    /// After a failure no new item starts; items not started are `nil`.
    static func run<Item, Output>(
        _ items: [Item], order: [Int], threads: Int, _ body: (Item) throws(FerryError) -> Output
    ) -> [Result<Output, FerryError>?] {
        let workers = min(threads, items.count)
        guard workers > 1 else {
            var out: [Result<Output, FerryError>?] = Array(repeating: nil, count: items.count)
            for i in order {
                do throws(FerryError) {
                    out[i] = .success(try body(items[i]))
                } catch {
                    out[i] = .failure(error)
                    break
                }
            }
            return out
        }
        let state = MapState<Output>(order: order, count: items.count)
        withoutActuallyEscaping(body) { body in
            let sharedItems = UncheckedSendableBox(items)
            let sharedBody = UncheckedSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let i = state.claim() {
                    let outcome: Result<Output, FerryError>
                    do throws(FerryError) {
                        outcome = .success(try sharedBody.value(sharedItems.value[i]))
                    } catch {
                        outcome = .failure(error)
                    }
                    state.record(outcome, at: i)
                }
            }
        }
        return state.results
    }
}

/// Carries values the compiler cannot prove Sendable into a `concurrentPerform` closure. Safe for `ConcurrentMap`:
/// the items are only read, and `MergeRewriter.rewrite` only reads the rewriter (its writer's settings) and writes
/// files of its own.
private struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The next item to hand out, the results, and whether one failed, shared by the workers under a lock.
private final class MapState<Output>: @unchecked Sendable {
    private let lock = NSLock()
    private let order: [Int]
    private var next = 0
    private var failed = false
    private var outcomes: [Result<Output, FerryError>?]

    init(order: [Int], count: Int) {
        self.order = order
        outcomes = Array(repeating: nil, count: count)
    }

    func claim() -> Int? {
        lock.withLock {
            guard !failed, next < order.count else { return nil }
            defer { next += 1 }
            return order[next]
        }
    }

    func record(_ outcome: Result<Output, FerryError>, at index: Int) {
        lock.withLock {
            outcomes[index] = outcome
            if case .failure = outcome { failed = true }
        }
    }

    var results: [Result<Output, FerryError>?] { lock.withLock { outcomes } }
}
