#if _endian(big)
    #error("Parquet stores numbers little-endian; this library copies them as-is and needs a little-endian host")
#endif

/// INT32, INT64, FLOAT and DOUBLE: values whose PLAIN encoding is their little-endian memory image.
///
/// `Bits` is the same-width unsigned integer, used for hashing in dictionaries and for exact (bitwise) equality,
/// so that NaN payloads and -0.0 survive a round trip.
protocol FixedWidthValue: Comparable {
    associatedtype Bits: FixedWidthInteger & UnsignedInteger
    var storageBits: Bits { get }
    init(storageBits: Bits)
}

extension Int32: FixedWidthValue {
    var storageBits: UInt32 { UInt32(bitPattern: self) }
    init(storageBits: UInt32) { self.init(bitPattern: storageBits) }
}

extension Int64: FixedWidthValue {
    var storageBits: UInt64 { UInt64(bitPattern: self) }
    init(storageBits: UInt64) { self.init(bitPattern: storageBits) }
}

extension Float: FixedWidthValue {
    var storageBits: UInt32 { bitPattern }
    init(storageBits: UInt32) { self.init(bitPattern: storageBits) }
}

extension Double: FixedWidthValue {
    var storageBits: UInt64 { bitPattern }
    init(storageBits: UInt64) { self.init(bitPattern: storageBits) }
}

/// PLAIN encoding (Encodings.md §Plain), writer side. Values are appended to a page buffer.
enum PlainEncoder {
    /// Appends the non-NULL values of `values[range]`.
    @inline(__always)
    static func appendFixed<T: FixedWidthValue>(
        _ values: UnsafeBufferPointer<T>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>,
        to output: GrowableBuffer
    ) {
        guard let validity else {
            output.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: values[range])))
            return
        }
        var valid = 0
        for row in range where validity[row] { valid += 1 }
        output.appendUninitialized(maximum: valid * MemoryLayout<T>.size) { raw in
            var offset = 0
            for row in range where validity[row] {
                raw.storeBytes(of: values[row], toByteOffset: offset, as: T.self)
                offset += MemoryLayout<T>.size
            }
            return offset
        }
    }

    /// Appends one BYTE_ARRAY value: 4-byte little-endian length, then the bytes.
    @inline(__always)
    static func appendByteArray(_ value: UnsafeRawBufferPointer, to output: GrowableBuffer) {
        output.append(littleEndian: UInt32(truncatingIfNeeded: value.count))
        output.append(value)
    }
}

/// Packs booleans LSB-first, eight to a byte, across several appends (PLAIN BOOLEAN).
struct BooleanPacker {
    private var current: UInt8 = 0
    private var bits = 0

    @inline(__always)
    mutating func append(_ value: Bool, to output: GrowableBuffer) {
        if value { current |= 1 << UInt8(bits) }
        bits += 1
        if bits == 8 {
            output.append(current)
            current = 0
            bits = 0
        }
    }

    /// Writes the partial last byte, zero-padded.
    mutating func finish(to output: GrowableBuffer) {
        if bits > 0 { output.append(current) }
        current = 0
        bits = 0
    }

    /// Bytes written plus the pending partial byte.
    func size(_ output: GrowableBuffer) -> Int { output.count + (bits > 0 ? 1 : 0) }
}

/// Little-endian 4-byte integer helpers for length prefixes.
enum LittleEndian {
    static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: value))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    }
}
