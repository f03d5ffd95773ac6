import Foundation

/// Polling with a deadline, for tests that must wait for evidence (a row count, a log line, a file) instead of
/// sleeping a fixed time and hoping.
public enum Wait {
    /// What a wait that ran out of time throws: what was awaited, and for how long.
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
    }

    /// Polls `condition` every `interval` seconds until it holds; throws `Timeout` naming `what` after `timeout`
    /// seconds. Returns the seconds waited.
    ///
    /// It sleeps the calling thread: async tests get the async overload, which leaves the cooperative pool's
    /// threads (two on a 2-core machine) to the tasks they wait for.
    @available(*, noasync, message: "use the async overload: a sleeping thread starves the tasks being waited for")
    @discardableResult
    public static func until(
        _ what: @autoclosure () -> String, timeout: TimeInterval = 60, every interval: TimeInterval = 0.01,
        _ condition: () throws -> Bool
    ) throws -> TimeInterval {
        let started = Date()
        let deadline = started.addingTimeInterval(timeout)
        while true {
            if try condition() { return Date().timeIntervalSince(started) }
            guard Date() < deadline else {
                throw Timeout(description: "gave up after \(Int(timeout)) s waiting for \(what())")
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// `until` for async tests: sleeps with `Task.sleep`, so a waiting test does not hold a cooperative thread.
    @discardableResult
    public static func until(
        _ what: @autoclosure () -> String, timeout: TimeInterval = 60, every interval: TimeInterval = 0.01,
        _ condition: () throws -> Bool
    ) async throws -> TimeInterval {
        let started = Date()
        let deadline = started.addingTimeInterval(timeout)
        while true {
            if try condition() { return Date().timeIntervalSince(started) }
            guard Date() < deadline else {
                throw Timeout(description: "gave up after \(Int(timeout)) s waiting for \(what())")
            }
            try await Task.sleep(for: .seconds(interval))
        }
    }

    /// The text of `path` so far (empty while it does not exist), for waiting on a child's log lines.
    public static func text(of path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
