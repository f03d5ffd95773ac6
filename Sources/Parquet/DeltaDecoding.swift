/// Decoders for the DELTA_* and BYTE_STREAM_SPLIT encodings (Encodings.md), which pyarrow and parquet-mr write
/// when asked to (and Spark in data page V2 files). This library never writes them.
enum DeltaDecoder {
    /// Decodes a DELTA_BINARY_PACKED stream of exactly `count` values, appending them (as 64-bit two's
    /// complement; INT32 callers truncate) to `output`.
    /// - Returns: the bytes consumed, so DELTA_LENGTH_BYTE_ARRAY can find the data after the lengths.
    @discardableResult
    static func decodeBinaryPacked(
        _ input: UnsafeRawBufferPointer, count: Int, into output: inout [Int64], context: String
    ) throws(ParquetError) -> Int {
        var cursor = ByteCursor(input: input, context: context)
        let blockSize = try cursor.varint()
        let miniblocks = try cursor.varint()
        let total = try cursor.varint()
        var value = UInt64(bitPattern: try cursor.zigzag())
        guard blockSize > 0, blockSize % 128 == 0, miniblocks > 0, blockSize % miniblocks == 0,
            (blockSize / miniblocks) % 32 == 0, blockSize <= 1 << 20
        else {
            throw ParquetError(.corrupt, "\(context): DELTA_BINARY_PACKED header is invalid")
        }
        guard total == UInt64(count) else {
            throw ParquetError(.corrupt, "\(context): DELTA_BINARY_PACKED holds \(total) values, \(count) expected")
        }
        let perMiniblock = Int(blockSize / miniblocks)
        output.reserveMore(count)
        let target = output.count + Int(total)
        guard total > 0 else { return cursor.position }
        output.append(Int64(bitPattern: value))
        var widths = [Int](repeating: 0, count: Int(miniblocks))
        while output.count < target {
            let minDelta = UInt64(bitPattern: try cursor.zigzag())
            for index in widths.indices {
                widths[index] = Int(try cursor.byte())
                guard widths[index] <= 64 else {
                    throw ParquetError(.corrupt, "\(context): miniblock bit width \(widths[index])")
                }
            }
            for width in widths where output.count < target {
                let bytes = perMiniblock * width / 8
                let body = try cursor.take(bytes)
                let take = min(perMiniblock, target - output.count)
                for index in 0..<take {
                    let packed = unpack(body, bitOffset: index * width, width: width)
                    value = value &+ minDelta &+ packed
                    output.append(Int64(bitPattern: value))
                }
            }
        }
        return cursor.position
    }

    /// Decodes DELTA_LENGTH_BYTE_ARRAY: the lengths, then the concatenated bytes.
    /// - Returns: the bytes consumed.
    @discardableResult
    static func decodeLengthByteArrays(
        _ input: UnsafeRawBufferPointer, count: Int, offsets: inout [Int], data: GrowableBuffer, context: String
    ) throws(ParquetError) -> Int {
        var lengths: [Int64] = []
        var position = try decodeBinaryPacked(input, count: count, into: &lengths, context: context)
        for length in lengths {
            guard length >= 0, length <= Int64(input.count - position) else {
                throw ParquetError(.corrupt, "\(context): DELTA_LENGTH_BYTE_ARRAY value past the page end")
            }
            data.append(UnsafeRawBufferPointer(rebasing: input[position..<(position + Int(length))]))
            position += Int(length)
            offsets.append(data.count)
        }
        return position
    }

    /// Decodes DELTA_BYTE_ARRAY (front coding): prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
    static func decodeByteArrays(
        _ input: UnsafeRawBufferPointer, count: Int, offsets: inout [Int], data: GrowableBuffer, context: String
    ) throws(ParquetError) {
        var prefixes: [Int64] = []
        let consumed = try decodeBinaryPacked(input, count: count, into: &prefixes, context: context)
        var suffixOffsets = [0]
        let suffixes = GrowableBuffer()
        try decodeLengthByteArrays(
            UnsafeRawBufferPointer(rebasing: input[consumed...]), count: count, offsets: &suffixOffsets,
            data: suffixes, context: context)
        var previous: [UInt8] = []
        var current: [UInt8] = []
        for index in 0..<count {
            let prefix = prefixes[index]
            guard prefix >= 0, prefix <= Int64(previous.count) else {
                throw ParquetError(.corrupt, "\(context): DELTA_BYTE_ARRAY prefix longer than the previous value")
            }
            current.removeAll(keepingCapacity: true)
            current.append(contentsOf: previous[0..<Int(prefix)])
            current.append(
                contentsOf: UnsafeRawBufferPointer(
                    rebasing: suffixes.bytes[suffixOffsets[index]..<suffixOffsets[index + 1]]))
            current.withUnsafeBytes { data.append($0) }
            offsets.append(data.count)
            swap(&previous, &current)
        }
    }

    /// Decodes BYTE_STREAM_SPLIT: byte `k` of value `i` is at `k * count + i`. Appends `count * width` bytes.
    static func decodeByteStreamSplit(
        _ input: UnsafeRawBufferPointer, count: Int, width: Int, into data: GrowableBuffer, context: String
    ) throws(ParquetError) {
        guard count * width <= input.count else {
            throw ParquetError(.corrupt, "\(context): BYTE_STREAM_SPLIT page too short")
        }
        data.appendUninitialized(maximum: count * width) { output in
            for stream in 0..<width {
                for index in 0..<count { output[index * width + stream] = input[stream * count + index] }
            }
            return count * width
        }
    }

    /// Reads `width` (0...64) bits starting at `bitOffset`, LSB first. The caller has checked the bounds.
    @inline(__always)
    private static func unpack(_ body: UnsafeRawBufferPointer, bitOffset: Int, width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        var result: UInt64 = 0
        var produced = 0
        var byteIndex = bitOffset >> 3
        var shift = bitOffset & 7
        while produced < width {
            result |= (UInt64(body[byteIndex]) >> UInt64(shift)) << UInt64(produced)
            produced += 8 - shift
            shift = 0
            byteIndex += 1
        }
        return width == 64 ? result : result & ((1 << UInt64(width)) - 1)
    }
}

/// Bounds-checked sequential reads of varints and bytes.
struct ByteCursor {
    let input: UnsafeRawBufferPointer
    let context: String
    private(set) var position = 0

    init(input: UnsafeRawBufferPointer, context: String) {
        self.input = input
        self.context = context
    }

    mutating func byte() throws(ParquetError) -> UInt8 {
        guard position < input.count else { throw ParquetError(.corrupt, "\(context): encoded values end early") }
        defer { position += 1 }
        return input[position]
    }

    mutating func varint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw ParquetError(.corrupt, "\(context): varint too long") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func zigzag() throws(ParquetError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int) throws(ParquetError) -> UnsafeRawBufferPointer {
        guard count <= input.count - position else {
            throw ParquetError(.corrupt, "\(context): encoded values end early")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: input[position..<(position + count)])
    }
}
