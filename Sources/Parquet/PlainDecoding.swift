/// PLAIN decoding (Encodings.md §Plain), reader side. Every function checks its input length first, so a
/// truncated page fails with a ``ParquetError`` instead of reading out of bounds.
enum PlainDecoder {
    /// Appends `count` little-endian fixed-width values to `output`.
    /// - Returns: the bytes consumed.
    @discardableResult
    @inline(__always)
    static func decodeFixed<T: FixedWidthValue>(
        _ input: UnsafeRawBufferPointer, count: Int, into output: inout [T], context: String
    ) throws(ParquetError) -> Int {
        let size = count * MemoryLayout<T>.size
        guard size <= input.count else {
            throw ParquetError(
                .corrupt, "\(context): PLAIN page holds \(input.count) bytes, \(count) values need \(size)")
        }
        appendValues(UnsafeRawBufferPointer(rebasing: input[0..<size]), count: count, to: &output)
        return size
    }

    /// Appends `count` values stored back to back in `input`: one copy when `input` is aligned for `T`, a loop of
    /// unaligned loads otherwise.
    @inline(__always)
    static func appendValues<T>(_ input: UnsafeRawBufferPointer, count: Int, to output: inout [T]) {
        guard count > 0, let base = input.baseAddress else { return }
        if Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
            UnsafeRawBufferPointer(start: base, count: count * MemoryLayout<T>.stride).withMemoryRebound(to: T.self) {
                output.append(contentsOf: $0)
            }
        } else {
            output.reserveMore(count)
            for index in 0..<count {
                output.append(input.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.stride, as: T.self))
            }
        }
    }

    /// Appends `count` bit-packed booleans (LSB first).
    static func decodeBooleans(
        _ input: UnsafeRawBufferPointer, count: Int, into output: inout [Bool], context: String
    ) throws(ParquetError) {
        guard (count + 7) / 8 <= input.count else {
            throw ParquetError(.corrupt, "\(context): PLAIN boolean page too short for \(count) values")
        }
        output.reserveMore(count)
        for index in 0..<count { output.append(input[index >> 3] & (1 << UInt8(index & 7)) != 0) }
    }

    /// Appends `count` BYTE_ARRAY values (4-byte length + bytes): their bytes to `data`, their end offsets to
    /// `offsets` (which starts with the offset of the first value).
    static func decodeByteArrays(
        _ input: UnsafeRawBufferPointer, count: Int, offsets: inout [Int], data: GrowableBuffer, context: String
    ) throws(ParquetError) {
        var position = 0
        offsets.reserveMore(count)
        // The page size bounds the data; reserving it avoids regrowth.
        data.reserve(max(0, input.count - 4 * count))
        for index in 0..<count {
            guard position + 4 <= input.count else {
                throw ParquetError(.corrupt, "\(context): PLAIN byte array \(index) of \(count) past the page end")
            }
            let length = Int(LittleEndian.readUInt32(input, at: position))
            position += 4
            guard length <= input.count - position else {
                throw ParquetError(.corrupt, "\(context): byte array of \(length) bytes past the page end")
            }
            data.append(UnsafeRawBufferPointer(rebasing: input[position..<(position + length)]))
            position += length
            offsets.append(data.count)
        }
    }

    /// Appends `count` FIXED_LEN_BYTE_ARRAY values of `width` bytes.
    static func decodeFixedLen(
        _ input: UnsafeRawBufferPointer, count: Int, width: Int, into data: GrowableBuffer, context: String
    ) throws(ParquetError) {
        let size = count * width
        guard size <= input.count else {
            throw ParquetError(.corrupt, "\(context): PLAIN page too short for \(count) values of \(width) bytes")
        }
        data.append(UnsafeRawBufferPointer(rebasing: input[0..<size]))
    }
}
