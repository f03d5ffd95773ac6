import Foundation

/// Exponential back-off with jitter for transient failures.
public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxRetries: Int, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Seconds to wait before retry number `attempt` (1-based): base·2^(attempt-1), capped, ±50% jitter.
    public func delay(attempt: Int) -> Double {
        let raw = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return raw * Double.random(in: 0.5...1.5)
    }
}
