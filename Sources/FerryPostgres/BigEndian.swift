/// Big-endian reads and writes for the binary COPY format, which is network byte order throughout.
///
/// Reads go straight to libpq's buffer with `loadUnaligned`, so decoding a row allocates nothing.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendBE(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func appendBE(_ v: UInt32) {
        Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendBE(_ v: UInt64) {
        Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendBE(_ v: Int16) { appendBE(UInt16(bitPattern: v)) }

    @inline(__always)
    mutating func appendBE(_ v: Int32) { appendBE(UInt32(bitPattern: v)) }

    @inline(__always)
    mutating func appendBE(_ v: Int64) { appendBE(UInt64(bitPattern: v)) }
}
