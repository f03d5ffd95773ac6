/// The number of bits needed to represent `value` (0 for 0): the bit width of levels and dictionary indices.
@inline(__always)
func bitWidth(of value: UInt64) -> Int {
    64 - value.leadingZeroBitCount
}

/// Encodes small unsigned integers (definition levels, dictionary indices, RLE booleans) in Parquet's
/// RLE / bit-packed hybrid (Encodings.md §RLE).
///
/// Values are buffered eight at a time. Eight or more equal values in a row become an RLE run; anything else goes
/// into bit-packed groups of eight, up to 63 groups per run so the run header fits in a single byte that is
/// patched when the run ends. The output has no length prefix; callers add one where the format wants it.
struct RLEHybridEncoder {
    let bitWidth: Int
    private(set) var bytes: [UInt8]
    private var buffered: [UInt32]
    private var numBuffered = 0
    private var currentValue: UInt32 = 0
    private var repeatCount = 0
    /// Values in the open bit-packed run (a multiple of 8).
    private var literalCount = 0
    /// Where the open bit-packed run's header byte sits in `bytes`, or -1.
    private var literalHeaderIndex = -1

    init(bitWidth: Int, capacity: Int = 1024) {
        precondition(bitWidth >= 0 && bitWidth <= 32, "bit width \(bitWidth) out of range")
        self.bitWidth = bitWidth
        bytes = []
        bytes.reserveCapacity(capacity)
        buffered = [UInt32](repeating: 0, count: 8)
    }

    /// The encoded size so far, for page-size decisions (slightly under the final size).
    var estimatedSize: Int { bytes.count + (numBuffered * bitWidth + 7) / 8 + (repeatCount > 8 ? 5 : 0) }

    @inline(__always)
    mutating func put(_ value: UInt32) {
        if value == currentValue && repeatCount > 0 {
            repeatCount += 1
            // Past eight the run is committed to RLE and the buffer is already empty.
            if repeatCount > 8 { return }
        } else {
            if repeatCount >= 8 { flushRepeatedRun() }
            repeatCount = 1
            currentValue = value
        }
        buffered[numBuffered] = value
        numBuffered += 1
        if numBuffered == 8 { flushBufferedGroup() }
    }

    /// Appends `count` copies of `value`, in O(1) once an RLE run is established.
    mutating func put(_ value: UInt32, count: Int) {
        var remaining = count
        while remaining > 0 {
            if value == currentValue && repeatCount >= 8 {
                repeatCount += remaining
                return
            }
            put(value)
            remaining -= 1
        }
    }

    /// Ends the last run and returns the encoded bytes, leaving the encoder empty for reuse.
    mutating func finish() -> [UInt8] {
        flush()
        let result = bytes
        bytes.removeAll(keepingCapacity: true)
        reset()
        return result
    }

    /// Ends the last run and appends the encoded bytes to `output`, leaving the encoder empty for reuse.
    mutating func finish(into output: inout [UInt8]) {
        flush()
        output.append(contentsOf: bytes)
        bytes.removeAll(keepingCapacity: true)
        reset()
    }

    /// Ends the last run and appends the encoded bytes to `output`, leaving the encoder empty for reuse.
    mutating func finish(into output: GrowableBuffer) {
        flush()
        bytes.withUnsafeBytes { output.append($0) }
        bytes.removeAll(keepingCapacity: true)
        reset()
    }

    private mutating func reset() {
        numBuffered = 0
        currentValue = 0
        repeatCount = 0
        literalCount = 0
        literalHeaderIndex = -1
    }

    private mutating func flush() {
        guard literalCount > 0 || repeatCount > 0 || numBuffered > 0 else { return }
        let allRepeat = literalCount == 0 && (repeatCount == numBuffered || numBuffered == 0)
        if repeatCount > 0 && allRepeat {
            flushRepeatedRun()
        } else {
            if numBuffered > 0 {
                // Pad the last group with zeros; readers stop at the page's value count.
                while numBuffered < 8 {
                    buffered[numBuffered] = 0
                    numBuffered += 1
                }
                writeBufferedGroup()
            }
            finishLiteralRun()
        }
        repeatCount = 0
    }

    private mutating func flushBufferedGroup() {
        if repeatCount >= 8 {
            // The eight buffered values are the start of an RLE run: drop them, close any bit-packed run.
            numBuffered = 0
            if literalCount > 0 { finishLiteralRun() }
            return
        }
        writeBufferedGroup()
        if literalCount / 8 == 63 { finishLiteralRun() }
        repeatCount = 0
    }

    private mutating func writeBufferedGroup() {
        if literalHeaderIndex < 0 {
            literalHeaderIndex = bytes.count
            bytes.append(0)
        }
        var accumulator: UInt64 = 0
        var bits = 0
        for index in 0..<8 {
            accumulator |= UInt64(buffered[index]) << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        literalCount += 8
        numBuffered = 0
    }

    private mutating func finishLiteralRun() {
        guard literalHeaderIndex >= 0 else { return }
        bytes[literalHeaderIndex] = UInt8((literalCount / 8) << 1 | 1)
        literalHeaderIndex = -1
        literalCount = 0
    }

    private mutating func flushRepeatedRun() {
        var header = UInt64(repeatCount) << 1
        while header >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: header) | 0x80)
            header >>= 7
        }
        bytes.append(UInt8(header))
        var value = currentValue
        for _ in 0..<((bitWidth + 7) / 8) {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
        repeatCount = 0
    }
}

/// Decodes the RLE / bit-packed hybrid.
enum RLEHybridDecoder {
    /// Decodes exactly `count` values from `input` into `output` (replacing its contents).
    /// - Returns: the number of input bytes consumed.
    @discardableResult
    static func decode(
        _ input: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into output: inout [UInt32], context: String
    ) throws(ParquetError) -> Int {
        output.removeAll(keepingCapacity: true)
        guard count > 0 else { return 0 }
        guard bitWidth >= 0 && bitWidth <= 32 else {
            throw ParquetError(.corrupt, "\(context): RLE bit width \(bitWidth) out of range")
        }
        output.reserveCapacity(count)
        let valueBytes = (bitWidth + 7) / 8
        let mask: UInt64 = (1 << UInt64(bitWidth)) &- 1
        var position = 0
        while output.count < count {
            // Run header: varint, low bit selects bit-packed (1) or RLE (0).
            var header: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < input.count, shift < 64 else {
                    throw ParquetError(
                        .corrupt, "\(context): RLE data ends after \(output.count) of \(count) values")
                }
                let byte = input[position]
                position += 1
                header |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            let remaining = count - output.count
            if header & 1 == 0 {
                let runLength = Int(clamping: header >> 1)
                guard position + valueBytes <= input.count else {
                    throw ParquetError(.corrupt, "\(context): RLE run value past the end")
                }
                var value: UInt64 = 0
                for index in 0..<valueBytes { value |= UInt64(input[position + index]) << (8 * UInt64(index)) }
                position += valueBytes
                let take = min(runLength, remaining)
                output.append(contentsOf: repeatElement(UInt32(truncatingIfNeeded: value & mask), count: take))
            } else {
                // Clamped so corrupt headers can't overflow the arithmetic below.
                let groups = min(Int(clamping: header >> 1), input.count + 1)
                var values = min(groups * 8, remaining)
                // Tolerate a final run that is shorter than its header says (some writers truncate it).
                let available = bitWidth == 0 ? values : (input.count - position) * 8 / bitWidth
                values = min(values, available)
                guard values > 0 else {
                    throw ParquetError(.corrupt, "\(context): bit-packed run past the end")
                }
                var accumulator: UInt64 = 0
                var bits = 0
                var cursor = position
                for _ in 0..<values {
                    while bits < bitWidth {
                        accumulator |= UInt64(input[cursor]) << UInt64(bits)
                        cursor += 1
                        bits += 8
                    }
                    output.append(UInt32(truncatingIfNeeded: accumulator & mask))
                    accumulator >>= UInt64(bitWidth)
                    bits -= bitWidth
                }
                position = min(position + groups * bitWidth, input.count)
            }
        }
        return position
    }
}
