/// Variable- or fixed-length byte strings of one batch, without copying them out of the batch.
struct ByteValues {
    let data: UnsafeRawBufferPointer
    /// BYTE_ARRAY: value `i` is `data[offsets[i] ..< offsets[i + 1]]`. `nil` for FIXED_LEN_BYTE_ARRAY.
    let offsets: UnsafeBufferPointer<Int>?
    let width: Int

    @inline(__always)
    subscript(index: Int) -> UnsafeRawBufferPointer {
        if let offsets {
            return UnsafeRawBufferPointer(rebasing: data[offsets[index]..<offsets[index + 1]])
        }
        return UnsafeRawBufferPointer(rebasing: data[(index * width)..<((index + 1) * width)])
    }
}

/// BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns: RLE_DICTIONARY while the distinct values fit in the dictionary
/// limit, PLAIN for the rest of the chunk after that.
final class ByteArrayColumnWriter: ColumnWriter {
    // The state lives in a struct so the hot loops mutate a local `inout` value rather than class properties,
    // which would cost a dynamic exclusivity check per access.
    private var encoder: ByteArrayEncoder

    init(builder: ColumnChunkBuilder, options: WriterOptions, order: StatOrder, width: Int?) {
        encoder = ByteArrayEncoder(builder: builder, options: options, order: order, width: width)
    }

    var bufferedBytes: Int { encoder.bufferedBytes }
    func append(
        _ batch: ColumnBatch, rows: Range<Int>, levels: LeafLevels?, compressor: PageCompressor
    ) throws(ParquetError) {
        try encoder.append(batch, rows: rows, levels: levels, compressor: compressor)
    }
    func finishChunk(compressor: PageCompressor) throws(ParquetError) -> EncodedChunk {
        try encoder.finishChunk(compressor: compressor)
    }
}

struct ByteArrayEncoder {
    private var builder: ColumnChunkBuilder
    /// The explicit levels of the batch being appended (nested leaves only).
    private var levels: LeafLevels?
    private let options: WriterOptions
    /// `nil` for BYTE_ARRAY; the value width for FIXED_LEN_BYTE_ARRAY.
    private let width: Int?
    private var statistics: StatsAccumulator
    private var dictionary: ByteArrayDictionary
    private var dictionaryActive: Bool
    /// Whether the first dictionary-encoded page of the chunk has been weighed against PLAIN.
    private var checkedDictionary = false
    /// What the open page's values would take PLAIN-encoded, while it is dictionary-encoded.
    private var pagePlainSize = 0
    private let plainValues = GrowableBuffer(capacity: 1 << 16)
    private var indices: [UInt32] = []

    init(builder: ColumnChunkBuilder, options: WriterOptions, order: StatOrder, width: Int?) {
        self.builder = builder
        self.options = options
        self.width = width
        statistics = StatsAccumulator(order: order)
        dictionary = ByteArrayDictionary(lengthPrefixed: width == nil)
        dictionaryActive = options.dictionary
    }

    var bufferedBytes: Int {
        builder.pagesSize + pageBytes + (dictionaryActive || dictionary.count > 0 ? dictionary.plainSize : 0)
    }

    private var pageBytes: Int {
        let values =
            dictionaryActive
            ? (indices.count * max(bitWidth(of: UInt64(dictionary.count)), 1) + 7) / 8 : plainValues.count
        return values + builder.pageLevelBytes
    }

    mutating func append(
        _ batch: ColumnBatch, rows: Range<Int>, levels: LeafLevels?, compressor: PageCompressor
    ) throws(ParquetError) {
        self.levels = levels
        defer { self.levels = nil }
        switch batch.values {
        case .byteArray(let offsets, let data) where width == nil:
            try withRawBytes(data) { data throws(ParquetError) in
                try offsets.withUnsafeBufferPointer { offsets throws(ParquetError) in
                    try append(ByteValues(data: data, offsets: offsets, width: 0), batch.validity, rows, compressor)
                }
            }
        case .fixedLen(let batchWidth, let data) where batchWidth == width:
            try withRawBytes(data) { data throws(ParquetError) in
                try append(ByteValues(data: data, offsets: nil, width: batchWidth), batch.validity, rows, compressor)
            }
        default:
            throw ParquetError(.invalidBatch, "\(builder.context): values don't match the column's type")
        }
    }

    private mutating func append(
        _ values: ByteValues, _ validity: [Bool]?, _ rows: Range<Int>, _ compressor: PageCompressor
    ) throws(ParquetError) {
        try withOptionalBuffer(validity) { validity throws(ParquetError) in
            var row = rows.lowerBound
            while row < rows.upperBound {
                let end = min(rows.upperBound, row + pageCapacity())
                let (consumed, dictionaryFull) = appendRun(values, validity: validity, rows: row..<end)
                row += consumed
                if dictionaryFull {
                    try flushPage(compressor: compressor)
                    dictionaryActive = false
                } else if builder.pageRows >= ColumnChunkBuilder.maxRowsPerPage || pageBytes >= options.pageBytes {
                    try flushPage(compressor: compressor)
                }
            }
        }
    }

    private func pageCapacity() -> Int {
        // Pages of repeated leaves end only between appends, which start at row boundaries.
        if builder.hasRepetition { return Int.max / 4 }
        let rowRoom = ColumnChunkBuilder.maxRowsPerPage - builder.pageRows
        guard dictionaryActive else { return max(1, rowRoom) }
        let byteRoom = options.pageBytes - pageBytes
        return max(1, min(rowRoom, byteRoom * 8 / max(bitWidth(of: UInt64(dictionary.count)), 1) + 1))
    }

    /// Encodes rows from the start of `rows` until they are done, the page is full (PLAIN) or the dictionary is
    /// full. Returns the rows consumed and whether the dictionary filled up.
    private mutating func appendRun(
        _ values: ByteValues, validity: UnsafeBufferPointer<Bool>?, rows: Range<Int>
    ) -> (Int, Bool) {
        var end = rows.upperBound
        var dictionaryFull = false
        let signed = statistics.order == .signedBytes
        if dictionaryActive {
            let limit = options.dictionaryMaxBytes
            let known = dictionary.count
            for row in rows where validity?[row] ?? true {
                guard let index = dictionary.index(of: values[row], limit: limit) else {
                    end = row
                    dictionaryFull = true
                    break
                }
                indices.append(UInt32(bitPattern: index))
                pagePlainSize &+= values[row].count + (width == nil ? 4 : 0)
            }
            // Each distinct value reaches the statistics once, when it enters the dictionary.
            if let (low, high) = dictionary.minMax(from: known, signed: signed) {
                statistics.merge(min: .bytes(low), max: .bytes(high))
            }
        } else {
            let pageLimit = options.pageBytes - builder.pageLevelBytes
            var low = -1
            var high = -1
            for row in rows where validity?[row] ?? true {
                let value = values[row]
                if width == nil {
                    PlainEncoder.appendByteArray(value, to: plainValues)
                } else {
                    plainValues.append(value)
                }
                if low < 0 {
                    low = row
                    high = row
                } else if bytesLess(value, values[low], signed: signed) {
                    low = row
                } else if bytesLess(values[high], value, signed: signed) {
                    high = row
                }
                if plainValues.count >= pageLimit && !builder.hasRepetition {
                    end = row + 1
                    break
                }
            }
            if low >= 0 { statistics.merge(min: .bytes(Array(values[low])), max: .bytes(Array(values[high]))) }
        }
        let done = rows.lowerBound..<end
        statistics.nullCount += builder.addRows(done, validity: validity, levels: levels)
        return (done.count, dictionaryFull)
    }

    private mutating func flushPage(compressor: PageCompressor) throws(ParquetError) {
        if dictionaryActive {
            let body = encodeDictionaryIndices(indices, dictionaryCount: dictionary.count)
            indices.removeAll(keepingCapacity: true)
            try withRawBytes(body) { raw throws(ParquetError) in
                try builder.flushDataPage(values: raw, encoding: Encoding.rleDictionary, compressor: compressor)
            }
            // Judge the dictionary on the chunk's first page, as parquet-mr does: if indices plus dictionary are
            // no smaller than PLAIN, the column is (nearly) unique and hashing the rest would be wasted work.
            if !checkedDictionary {
                checkedDictionary = true
                if body.count + dictionary.plainSize >= pagePlainSize { dictionaryActive = false }
            }
            pagePlainSize = 0
        } else {
            try builder.flushDataPage(values: plainValues.bytes, encoding: Encoding.plain, compressor: compressor)
            plainValues.removeAll()
        }
    }

    mutating func finishChunk(compressor: PageCompressor) throws(ParquetError) -> EncodedChunk {
        try flushPage(compressor: compressor)
        var dictionaryPage: [UInt8]?
        if builder.usedDictionary {
            dictionaryPage = try builder.dictionaryPage(
                values: dictionary.plainEncoded(), count: dictionary.count, compressor: compressor)
        }
        let chunk = builder.takeChunk(dictionaryPage: dictionaryPage, statistics: statistics)
        statistics = StatsAccumulator(order: statistics.order)
        dictionary = ByteArrayDictionary(lengthPrefixed: width == nil)
        dictionaryActive = options.dictionary
        checkedDictionary = false
        return chunk
    }
}
