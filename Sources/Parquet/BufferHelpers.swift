// Buffer access with typed throws (Array.withUnsafeBytes only rethrows untyped errors).

/// Calls `body` with the buffer of `array`, or with `nil`.
@inline(__always)
func withOptionalBuffer<T, R, E: Error>(
    _ array: [T]?, _ body: (UnsafeBufferPointer<T>?) throws(E) -> R
) throws(E) -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { buffer throws(E) in try body(buffer) }
}

/// Calls `body` with the raw bytes of `array`.
@inline(__always)
func withRawBytes<R, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try array.withUnsafeBufferPointer { buffer throws(E) in try body(UnsafeRawBufferPointer(buffer)) }
}

extension Array {
    /// Makes room for `additional` more elements, growing geometrically. `reserveCapacity(count + n)` on every
    /// page would reallocate (and copy) the whole array each time.
    @inline(__always)
    mutating func reserveMore(_ additional: Int) {
        let needed = count + additional
        if needed > capacity { reserveCapacity(Swift.max(needed, capacity * 2)) }
    }
}
