import Foundation

/// Where Ferry's loops get the time of day from, so the decisions they feed it to (`CDCStreamStateMachine`, the
/// replication status timer) take the time as input and tests can hand them any time they like.
///
/// Wall-clock time, not a monotonic one: the decisions compare it with source commit timestamps.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }
}
