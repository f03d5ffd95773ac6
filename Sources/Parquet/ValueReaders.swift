/// Decodes the values of one column chunk, page by page, into one contiguous array per column.
///
/// Pages store only the non-NULL values; each reader decodes them densely and then spreads them over the page's
/// rows, leaving a zero placeholder in NULL slots so that index `i` is row `i`.
protocol ValueReader {
    /// A dictionary page: `count` PLAIN-encoded values.
    mutating func readDictionary(_ input: UnsafeRawBufferPointer, count: Int, context: String) throws(ParquetError)
    /// A data page's values section: `nonNull` encoded values for `rows` rows; `validity` is `nil` when no row of
    /// the page is NULL.
    mutating func readPage(
        _ input: UnsafeRawBufferPointer, encoding: Int32, rows: Int, nonNull: Int, validity: UnsafeBufferPointer<Bool>?,
        context: String
    ) throws(ParquetError)
    /// The values decoded so far.
    func finish() -> ColumnValues
}

func unsupportedEncoding(_ encoding: Int32, _ context: String) -> ParquetError {
    ParquetError(.unsupported, "\(context): encoding \(encoding) is not supported for this column type")
}

/// Decodes RLE_DICTIONARY / PLAIN_DICTIONARY indices (1 byte bit width, then the hybrid runs) and checks them.
func decodeDictionaryIndices(
    _ input: UnsafeRawBufferPointer, count: Int, dictionarySize: Int, into indices: inout [UInt32], context: String
) throws(ParquetError) {
    guard count > 0 else {
        indices.removeAll(keepingCapacity: true)
        return
    }
    guard let width = input.first else { throw ParquetError(.corrupt, "\(context): dictionary page data is empty") }
    try RLEHybridDecoder.decode(
        UnsafeRawBufferPointer(rebasing: input[1...]), bitWidth: Int(width), count: count, into: &indices,
        context: context)
    let limit = UInt32(clamping: dictionarySize)
    for index in indices where index >= limit {
        throw ParquetError(.corrupt, "\(context): dictionary index \(index) but the dictionary has \(dictionarySize)")
    }
}

/// INT32, INT64, FLOAT and DOUBLE.
struct FixedWidthValueReader<T: FixedWidthValue>: ValueReader {
    private let allowsDelta: Bool
    private let wrap: ([T]) -> ColumnValues
    private var output: [T] = []
    private var dictionary: [T] = []
    private var dense: [T] = []
    private var indices: [UInt32] = []

    init(rows: Int, allowsDelta: Bool, wrap: @escaping ([T]) -> ColumnValues) {
        self.allowsDelta = allowsDelta
        self.wrap = wrap
        output.reserveCapacity(rows)
    }

    mutating func readDictionary(_ input: UnsafeRawBufferPointer, count: Int, context: String) throws(ParquetError) {
        dictionary.removeAll(keepingCapacity: true)
        try PlainDecoder.decodeFixed(input, count: count, into: &dictionary, context: context)
    }

    mutating func readPage(
        _ input: UnsafeRawBufferPointer, encoding: Int32, rows: Int, nonNull: Int, validity: UnsafeBufferPointer<Bool>?,
        context: String
    ) throws(ParquetError) {
        dense.removeAll(keepingCapacity: true)
        switch encoding {
        case Encoding.plain:
            if validity == nil {
                try PlainDecoder.decodeFixed(input, count: nonNull, into: &output, context: context)
                return
            }
            try PlainDecoder.decodeFixed(input, count: nonNull, into: &dense, context: context)
        case Encoding.rleDictionary, Encoding.plainDictionary:
            try decodeDictionaryIndices(
                input, count: nonNull, dictionarySize: dictionary.count, into: &indices, context: context)
            if validity == nil {
                dictionary.withUnsafeBufferPointer { dictionary in
                    for index in indices { output.append(dictionary[Int(index)]) }
                }
                return
            }
            dense.reserveCapacity(nonNull)
            dictionary.withUnsafeBufferPointer { dictionary in
                for index in indices { dense.append(dictionary[Int(index)]) }
            }
        case Encoding.deltaBinaryPacked where allowsDelta:
            var wide: [Int64] = []
            try DeltaDecoder.decodeBinaryPacked(input, count: nonNull, into: &wide, context: context)
            dense.reserveCapacity(nonNull)
            for value in wide { dense.append(T(storageBits: T.Bits(truncatingIfNeeded: UInt64(bitPattern: value)))) }
        case Encoding.byteStreamSplit:
            let bytes = GrowableBuffer(capacity: nonNull * MemoryLayout<T>.size)
            try DeltaDecoder.decodeByteStreamSplit(
                input, count: nonNull, width: MemoryLayout<T>.size, into: bytes, context: context)
            try PlainDecoder.decodeFixed(bytes.bytes, count: nonNull, into: &dense, context: context)
        default:
            throw unsupportedEncoding(encoding, context)
        }
        guard let validity else {
            output.append(contentsOf: dense)
            return
        }
        let zero = T(storageBits: 0)
        dense.withUnsafeBufferPointer { dense in
            var next = 0
            for row in 0..<rows {
                if validity[row] {
                    output.append(dense[next])
                    next += 1
                } else {
                    output.append(zero)
                }
            }
        }
    }

    func finish() -> ColumnValues { wrap(output) }
}

/// BOOLEAN: PLAIN (bit-packed) or RLE (4-byte length, then the hybrid with bit width 1).
struct BooleanValueReader: ValueReader {
    private var output: [Bool] = []
    private var dense: [Bool] = []
    private var levels: [UInt32] = []

    init(rows: Int) {
        output.reserveCapacity(rows)
    }

    mutating func readDictionary(_ input: UnsafeRawBufferPointer, count: Int, context: String) throws(ParquetError) {
        throw ParquetError(.unsupported, "\(context): dictionary-encoded BOOLEAN column")
    }

    mutating func readPage(
        _ input: UnsafeRawBufferPointer, encoding: Int32, rows: Int, nonNull: Int, validity: UnsafeBufferPointer<Bool>?,
        context: String
    ) throws(ParquetError) {
        dense.removeAll(keepingCapacity: true)
        switch encoding {
        case Encoding.plain:
            try PlainDecoder.decodeBooleans(input, count: nonNull, into: &dense, context: context)
        case Encoding.rle:
            guard input.count >= 4 else { throw ParquetError(.corrupt, "\(context): RLE boolean page too short") }
            let length = Int(LittleEndian.readUInt32(input, at: 0))
            guard length <= input.count - 4 else {
                throw ParquetError(.corrupt, "\(context): RLE boolean length past the page end")
            }
            try RLEHybridDecoder.decode(
                UnsafeRawBufferPointer(rebasing: input[4..<(4 + length)]), bitWidth: 1, count: nonNull, into: &levels,
                context: context)
            for value in levels { dense.append(value != 0) }
        default:
            throw unsupportedEncoding(encoding, context)
        }
        guard let validity else {
            output.append(contentsOf: dense)
            return
        }
        var next = 0
        for row in 0..<rows {
            if validity[row] {
                output.append(dense[next])
                next += 1
            } else {
                output.append(false)
            }
        }
    }

    func finish() -> ColumnValues { .boolean(output) }
}
