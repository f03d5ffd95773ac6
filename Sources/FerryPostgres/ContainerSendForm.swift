/// The binary send forms that hold other values: `array_send` and `record_send` (postgres-wire.md A.4), walked in
/// place. Each element or field is handed to the caller as a slice of the same buffer (`nil` for NULL), so the
/// caller decodes it with the element's own reader, straight into its destination.
enum ContainerSendForm {
    /// Calls `element` for each element of a one-dimensional array indexed from 1, in order.
    ///
    /// Layout: Int32 ndim, Int32 has-nulls, Int32 element OID, ndim × (Int32 length, Int32 lower bound), then each
    /// element as Int32 length (−1 = NULL) and its bytes. An empty array has ndim 0. Any other shape fails
    /// (`ValueFailure.notOneDimensional`) rather than being flattened silently.
    @inline(__always)
    static func forEachElement(
        _ f: UnsafeRawBufferPointer, _ element: (UnsafeRawBufferPointer?) throws(ValueFailure) -> Void
    ) throws(ValueFailure) {
        guard f.count >= 12 else { throw .malformed(expected: "an array (\(f.count) bytes in binary form)") }
        let dimensions = Int(Int32(bitPattern: f.be32(0)))
        if dimensions == 0 { return }
        guard f.count >= 20 else { throw .malformed(expected: "an array (\(f.count) bytes in binary form)") }
        let count = Int(Int32(bitPattern: f.be32(12)))
        let lowerBound = Int(Int32(bitPattern: f.be32(16)))
        guard dimensions == 1, lowerBound == 1 else {
            throw .notOneDimensional(dimensions: dimensions, lowerBound: lowerBound)
        }
        var pos = 20
        for _ in 0..<max(0, count) {
            guard pos + 4 <= f.count else { throw .malformed(expected: "an array (truncated element)") }
            let length = Int(Int32(bitPattern: f.be32(pos)))
            pos += 4
            if length < 0 {
                try element(nil)
                continue
            }
            guard pos + length <= f.count else { throw .malformed(expected: "an array (truncated element)") }
            try element(UnsafeRawBufferPointer(rebasing: f[pos..<(pos + length)]))
            pos += length
        }
        guard pos == f.count else { throw .malformed(expected: "an array (bytes after the last element)") }
    }

    /// Calls `field` for each of the `expected` fields of a composite, in order.
    ///
    /// Layout: Int32 field count, then per field Int32 type OID, Int32 length (−1 = NULL) and its bytes.
    @inline(__always)
    static func forEachField(
        _ f: UnsafeRawBufferPointer, expected: Int, _ field: (Int, UnsafeRawBufferPointer?) throws(ValueFailure) -> Void
    ) throws(ValueFailure) {
        guard f.count >= 4 else { throw .malformed(expected: "a composite (\(f.count) bytes in binary form)") }
        let count = Int(Int32(bitPattern: f.be32(0)))
        guard count == expected else {
            throw .malformed(expected: "a composite of \(expected) fields (it has \(count))")
        }
        var pos = 4
        for i in 0..<count {
            guard pos + 8 <= f.count else { throw .malformed(expected: "a composite (truncated field)") }
            let length = Int(Int32(bitPattern: f.be32(pos + 4)))
            pos += 8
            if length < 0 {
                try field(i, nil)
                continue
            }
            guard pos + length <= f.count else { throw .malformed(expected: "a composite (truncated field)") }
            try field(i, UnsafeRawBufferPointer(rebasing: f[pos..<(pos + length)]))
            pos += length
        }
    }
}
