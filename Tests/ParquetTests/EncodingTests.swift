import FerryTestKit
import Testing

@testable import Parquet

@Suite struct RLEHybridTests {
    private func encode(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
        var encoder = RLEHybridEncoder(bitWidth: bitWidth)
        for value in values { encoder.put(value) }
        return encoder.finish()
    }

    private func decode(_ bytes: [UInt8], bitWidth: Int, count: Int) throws -> ([UInt32], Int) {
        var output: [UInt32] = []
        let consumed = try bytes.withUnsafeBytes { raw in
            try RLEHybridDecoder.decode(raw, bitWidth: bitWidth, count: count, into: &output, context: "test")
        }
        return (output, consumed)
    }

    @Test func bitPackedGroupMatchesTheSpecExample() throws {
        // Encodings.md §RLE: 0...7 with bit width 3.
        let bytes = encode(Array(0...7), bitWidth: 3)
        #expect(bytes == [0x03, 0x88, 0xC6, 0xFA])
        #expect(try decode(bytes, bitWidth: 3, count: 8).0 == Array(0...7))
    }

    @Test func repeatedValuesBecomeOneRLERun() throws {
        let bytes = encode(Array(repeating: 5, count: 100), bitWidth: 3)
        #expect(bytes == [0xC8, 0x01, 0x05])
        let wide = encode(Array(repeating: 0x0102_0304, count: 9), bitWidth: 27)
        #expect(wide == [0x12, 0x04, 0x03, 0x02, 0x01])
    }

    @Test(arguments: [0, 1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 24, 31, 32])
    func roundTripsEveryRunShape(bitWidth: Int) throws {
        var generator = SeededGenerator(seed: UInt64(bitWidth) + 1)
        let mask: UInt64 = bitWidth == 0 ? 0 : (1 << UInt64(bitWidth)) - 1
        func random() -> UInt32 { UInt32(truncatingIfNeeded: generator.next() & mask) }
        var shapes: [[UInt32]] = [
            [], [random()], Array(repeating: random(), count: 7), Array(repeating: random(), count: 8),
            Array(repeating: random(), count: 1000), (0..<1003).map { _ in random() },
            (0..<600).map { UInt32(truncatingIfNeeded: UInt64($0 % 2) & mask) },
        ]
        // Runs of every length from 1 to 20, then a long bit-packed stretch past 63 groups.
        var mixed: [UInt32] = []
        for length in 1...20 { mixed.append(contentsOf: repeatElement(random(), count: length)) }
        mixed.append(contentsOf: (0..<700).map { _ in random() })
        mixed.append(contentsOf: repeatElement(random(), count: 9))
        shapes.append(mixed)
        for values in shapes {
            let bytes = encode(values, bitWidth: bitWidth)
            let (decoded, consumed) = try decode(bytes, bitWidth: bitWidth, count: values.count)
            #expect(decoded == values)
            #expect(consumed == bytes.count)
        }
    }

    @Test func bulkPutMatchesSinglePuts() throws {
        var bulk = RLEHybridEncoder(bitWidth: 1)
        var single = RLEHybridEncoder(bitWidth: 1)
        var expected: [UInt32] = []
        for (value, count) in [(1, 3), (0, 20), (1, 100_000), (0, 1), (1, 9)] {
            bulk.put(UInt32(value), count: count)
            for _ in 0..<count { single.put(UInt32(value)) }
            expected.append(contentsOf: repeatElement(UInt32(value), count: count))
        }
        let bytes = bulk.finish()
        #expect(bytes == single.finish())
        #expect(try decode(bytes, bitWidth: 1, count: expected.count).0 == expected)
        #expect(bytes.count < 20)
    }

    @Test func truncatedInputThrows() {
        let bytes = encode((0..<100).map { UInt32($0 % 7) }, bitWidth: 3)
        #expect(throws: ParquetError.self) { try decode(Array(bytes.prefix(5)), bitWidth: 3, count: 100) }
        #expect(throws: ParquetError.self) { try decode([0x02], bitWidth: 3, count: 1) }
        #expect(throws: ParquetError.self) { try decode(bytes, bitWidth: 40, count: 1) }
    }
}

@Suite struct PlainEncodingTests {
    @Test func fixedWidthValuesRoundTripSkippingNulls() throws {
        let values: [Int64] = [1, .min, 3, .max, -5]
        let validity = [true, true, false, true, true]
        let buffer = GrowableBuffer()
        values.withUnsafeBufferPointer { values in
            validity.withUnsafeBufferPointer { validity in
                PlainEncoder.appendFixed(values, validity: validity, range: 0..<5, to: buffer)
            }
        }
        let bytes = buffer.toArray()
        #expect(bytes.count == 32)
        #expect(Array(bytes.prefix(8)) == [1, 0, 0, 0, 0, 0, 0, 0])
        var decoded: [Int64] = []
        _ = try bytes.withUnsafeBytes { raw in
            try PlainDecoder.decodeFixed(raw, count: 4, into: &decoded, context: "test")
        }
        #expect(decoded == [1, .min, .max, -5])
        // Unaligned input takes the load-by-load path.
        var unaligned: [Int64] = []
        let shifted = [0] + bytes
        _ = try shifted.withUnsafeBytes { raw in
            try PlainDecoder.decodeFixed(
                UnsafeRawBufferPointer(rebasing: raw[1...]), count: 4, into: &unaligned, context: "test")
        }
        #expect(unaligned == decoded)
        let doubles: [Double] = [-0.0, .nan, .infinity, .leastNonzeroMagnitude]
        let doubleBuffer = GrowableBuffer()
        doubles.withUnsafeBufferPointer {
            PlainEncoder.appendFixed($0, validity: nil, range: 1..<4, to: doubleBuffer)
        }
        let doubleBytes = doubleBuffer.toArray()
        var decodedDoubles: [Double] = []
        _ = try doubleBytes.withUnsafeBytes { raw in
            try PlainDecoder.decodeFixed(raw, count: 3, into: &decodedDoubles, context: "test")
        }
        #expect(decodedDoubles.map(\.bitPattern) == doubles.dropFirst().map(\.bitPattern))
        #expect(throws: ParquetError.self) {
            try doubleBytes.withUnsafeBytes { raw in
                try PlainDecoder.decodeFixed(raw, count: 4, into: &decodedDoubles, context: "test")
            }
        }
    }

    @Test func booleansAreBitPackedLSBFirst() throws {
        let values = [true, false, true, true, false, false, false, false, true, true]
        var packer = BooleanPacker()
        let buffer = GrowableBuffer()
        for value in values { packer.append(value, to: buffer) }
        packer.finish(to: buffer)
        let bytes = buffer.toArray()
        #expect(bytes == [0b0000_1101, 0b0000_0011])
        var decoded: [Bool] = []
        try bytes.withUnsafeBytes { raw in
            try PlainDecoder.decodeBooleans(raw, count: values.count, into: &decoded, context: "test")
        }
        #expect(decoded == values)
    }

    @Test func byteArraysCarryALengthPrefix() throws {
        let strings: [[UInt8]] = [Array("héllo".utf8), [], Array("🦆".utf8), [0, 255]]
        let buffer = GrowableBuffer()
        for string in strings { string.withUnsafeBytes { PlainEncoder.appendByteArray($0, to: buffer) } }
        let bytes = buffer.toArray()
        #expect(Array(bytes.prefix(4)) == [6, 0, 0, 0])
        var offsets = [0]
        let data = GrowableBuffer()
        try bytes.withUnsafeBytes { raw in
            try PlainDecoder.decodeByteArrays(raw, count: strings.count, offsets: &offsets, data: data, context: "test")
        }
        #expect(offsets == [0, 6, 6, 10, 12])
        #expect(data.toArray() == strings.flatMap { $0 })
        #expect(throws: ParquetError.self) {
            try bytes.dropLast().withUnsafeBytes { raw in
                try PlainDecoder.decodeByteArrays(raw, count: 4, offsets: &offsets, data: data, context: "test")
            }
        }
    }

    @Test func deltaBinaryPackedDecodesHandBuiltStreams() throws {
        func decode(_ bytes: [UInt8], count: Int) throws -> [Int64] {
            var output: [Int64] = []
            try bytes.withUnsafeBytes { raw in
                _ = try DeltaDecoder.decodeBinaryPacked(raw, count: count, into: &output, context: "test")
            }
            return output
        }
        // Block of 128 values in 4 miniblocks; 5 values, first 1, every delta 1: bit width 0 throughout.
        #expect(try decode([0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0], count: 5) == [1, 2, 3, 4, 5])
        // Encodings.md example 2 (7, 5, 3, 1, 2, 3, 4, 5) with a valid block size: min delta -2, width 2.
        let example: [UInt8] = [0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0xFF, 0, 0, 0, 0, 0, 0]
        #expect(try decode(example, count: 8) == [7, 5, 3, 1, 2, 3, 4, 5])
        #expect(throws: ParquetError.self) { try decode(Array(example.dropLast(3)), count: 8) }
        #expect(throws: ParquetError.self) { try decode([0x08, 0x01, 0x01, 0x00], count: 1) }
    }
}
