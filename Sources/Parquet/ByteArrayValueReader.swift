/// BYTE_ARRAY (`width == nil`) and FIXED_LEN_BYTE_ARRAY columns.
struct ByteArrayValueReader: ValueReader {
    private let width: Int?
    private var offsets: [Int] = [0]
    private let data = GrowableBuffer(capacity: 1 << 16)
    private var dictionaryOffsets: [Int] = [0]
    private let dictionaryData = GrowableBuffer(capacity: 1024)
    private var denseOffsets: [Int] = [0]
    private let denseData = GrowableBuffer(capacity: 1 << 16)
    private var indices: [UInt32] = []

    init(rows: Int, width: Int?) {
        self.width = width
        if width == nil { offsets.reserveCapacity(rows + 1) }
    }

    mutating func readDictionary(_ input: UnsafeRawBufferPointer, count: Int, context: String) throws(ParquetError) {
        dictionaryOffsets = [0]
        dictionaryData.removeAll()
        try decodePlain(input, count: count, offsets: &dictionaryOffsets, data: dictionaryData, context: context)
    }

    private func decodePlain(
        _ input: UnsafeRawBufferPointer, count: Int, offsets: inout [Int], data: GrowableBuffer, context: String
    ) throws(ParquetError) {
        guard let width else {
            try PlainDecoder.decodeByteArrays(input, count: count, offsets: &offsets, data: data, context: context)
            return
        }
        let start = data.count
        try PlainDecoder.decodeFixedLen(input, count: count, width: width, into: data, context: context)
        offsets.reserveMore(count)
        for index in 0..<count { offsets.append(start + (index + 1) * width) }
    }

    mutating func readPage(
        _ input: UnsafeRawBufferPointer, encoding: Int32, rows: Int, nonNull: Int, validity: UnsafeBufferPointer<Bool>?,
        context: String
    ) throws(ParquetError) {
        // Without NULLs, PLAIN and dictionary pages decode straight into the output, skipping the dense copy.
        if validity == nil && (encoding == Encoding.plain || isDictionary(encoding)) {
            if encoding == Encoding.plain {
                if let width {
                    try PlainDecoder.decodeFixedLen(input, count: nonNull, width: width, into: data, context: context)
                } else {
                    try PlainDecoder.decodeByteArrays(
                        input, count: nonNull, offsets: &offsets, data: data, context: context)
                }
            } else {
                try decodeDictionaryIndices(
                    input, count: nonNull, dictionarySize: dictionaryOffsets.count - 1, into: &indices,
                    context: context)
                let entries = dictionaryData.bytes
                let output = data
                let fixed = width != nil
                dictionaryOffsets.withUnsafeBufferPointer { starts in
                    for index in indices {
                        let entry = Int(index)
                        output.append(UnsafeRawBufferPointer(rebasing: entries[starts[entry]..<starts[entry + 1]]))
                        if !fixed { offsets.append(output.count) }
                    }
                }
            }
            return
        }
        denseOffsets.removeAll(keepingCapacity: true)
        denseOffsets.append(0)
        denseData.removeAll()
        switch encoding {
        case Encoding.plain:
            try decodePlain(input, count: nonNull, offsets: &denseOffsets, data: denseData, context: context)
        case Encoding.rleDictionary, Encoding.plainDictionary:
            try decodeDictionaryIndices(
                input, count: nonNull, dictionarySize: dictionaryOffsets.count - 1, into: &indices, context: context)
            denseOffsets.reserveCapacity(nonNull + 1)
            let entries = dictionaryData.bytes
            dictionaryOffsets.withUnsafeBufferPointer { starts in
                for index in indices {
                    let entry = Int(index)
                    denseData.append(UnsafeRawBufferPointer(rebasing: entries[starts[entry]..<starts[entry + 1]]))
                    denseOffsets.append(denseData.count)
                }
            }
        case Encoding.deltaLengthByteArray where width == nil:
            try DeltaDecoder.decodeLengthByteArrays(
                input, count: nonNull, offsets: &denseOffsets, data: denseData, context: context)
        case Encoding.deltaByteArray:
            try DeltaDecoder.decodeByteArrays(
                input, count: nonNull, offsets: &denseOffsets, data: denseData, context: context)
        case Encoding.byteStreamSplit where width != nil:
            let width = width ?? 0
            try DeltaDecoder.decodeByteStreamSplit(
                input, count: nonNull, width: width, into: denseData, context: context)
            for index in 0..<nonNull { denseOffsets.append((index + 1) * width) }
        default:
            throw unsupportedEncoding(encoding, context)
        }
        if let width {
            for index in 0..<nonNull where denseOffsets[index + 1] - denseOffsets[index] != width {
                throw ParquetError(.corrupt, "\(context): a FIXED_LEN_BYTE_ARRAY(\(width)) value has another length")
            }
        }
        spread(rows: rows, validity: validity)
    }

    private func isDictionary(_ encoding: Int32) -> Bool {
        encoding == Encoding.rleDictionary || encoding == Encoding.plainDictionary
    }

    /// Appends the page's dense values to the output, with empty (BYTE_ARRAY) or zero-filled
    /// (FIXED_LEN_BYTE_ARRAY) NULL slots.
    private mutating func spread(rows: Int, validity: UnsafeBufferPointer<Bool>?) {
        let base = data.count
        let dense = denseData.bytes
        if let width {
            guard let validity else {
                data.append(dense)
                return
            }
            var next = 0
            for row in 0..<rows {
                if validity[row] {
                    data.append(UnsafeRawBufferPointer(rebasing: dense[(next * width)..<((next + 1) * width)]))
                    next += 1
                } else {
                    data.appendZeros(width)
                }
            }
            return
        }
        data.append(dense)
        offsets.reserveMore(rows)
        guard let validity else {
            for index in 1..<denseOffsets.count { offsets.append(base + denseOffsets[index]) }
            return
        }
        var next = 1
        for row in 0..<rows {
            if validity[row] {
                offsets.append(base + denseOffsets[next])
                next += 1
            } else {
                offsets.append(offsets[offsets.count - 1])
            }
        }
    }

    func finish() -> ColumnValues {
        if let width { return .fixedLen(width: width, data: data.toArray()) }
        return .byteArray(offsets: offsets, data: data.toArray())
    }
}
