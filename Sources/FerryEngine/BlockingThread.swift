import Foundation

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
