/// INT32, INT64, FLOAT and DOUBLE columns: RLE_DICTIONARY while the distinct values fit, PLAIN after that.
///
/// A generic struct driven by one concrete class per type (below), so the compiler specialises the hot loops
/// for each value type instead of going through generic metadata per value.
struct FixedWidthEncoder<T: ColumnValue> {
    private var builder: ColumnChunkBuilder
    /// The explicit levels of the batch being appended (nested leaves only).
    private var levels: LeafLevels?
    private let options: WriterOptions
    private var statistics: StatsAccumulator
    private var dictionary = FixedWidthDictionary<T>()
    private var dictionaryActive: Bool
    /// Whether the first dictionary-encoded page of the chunk has been weighed against PLAIN.
    private var checkedDictionary = false
    /// The open page's values: PLAIN bytes, or dictionary indices.
    private let plainValues = GrowableBuffer(capacity: 1 << 16)
    private var indices: [UInt32] = []

    init(builder: ColumnChunkBuilder, options: WriterOptions, order: StatOrder) {
        self.builder = builder
        self.options = options
        statistics = StatsAccumulator(order: order)
        dictionaryActive = options.dictionary
    }

    var bufferedBytes: Int {
        builder.pagesSize + pageBytes + (dictionaryActive || dictionary.count > 0 ? dictionary.plainSize : 0)
    }

    /// Estimated encoded size of the open page.
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
        guard let array = T.extract(batch.values) else {
            throw ParquetError(.invalidBatch, "\(builder.context): values are not \(T.self)")
        }
        try array.withUnsafeBufferPointer { values throws(ParquetError) in
            try withOptionalBuffer(batch.validity) { validity throws(ParquetError) in
                var row = rows.lowerBound
                while row < rows.upperBound {
                    let end = min(rows.upperBound, row + pageCapacity())
                    row += appendRun(values, validity: validity, rows: row..<end)
                    if row < end {
                        // The dictionary is full: close its last page and write PLAIN from here on.
                        try flushPage(compressor: compressor)
                        dictionaryActive = false
                    } else if builder.pageRows >= ColumnChunkBuilder.maxRowsPerPage || pageBytes >= options.pageBytes {
                        try flushPage(compressor: compressor)
                    }
                }
            }
        }
    }

    /// Rows that still fit in the open page.
    private func pageCapacity() -> Int {
        // Pages of repeated leaves end only between appends, which start at row boundaries.
        if builder.hasRepetition { return Int.max / 4 }
        let rowRoom = ColumnChunkBuilder.maxRowsPerPage - builder.pageRows
        let byteRoom = options.pageBytes - pageBytes
        let bitsPerValue = dictionaryActive ? max(bitWidth(of: UInt64(dictionary.count)), 1) : 8 * MemoryLayout<T>.size
        return max(1, min(rowRoom, byteRoom * 8 / bitsPerValue + 1))
    }

    /// Encodes as many rows of `rows` as possible; fewer than all only when the dictionary fills up.
    private mutating func appendRun(
        _ values: UnsafeBufferPointer<T>, validity: UnsafeBufferPointer<Bool>?, rows: Range<Int>
    ) -> Int {
        var end = rows.upperBound
        if dictionaryActive {
            let limit = options.dictionaryMaxBytes
            indices.reserveMore(rows.count)
            for row in rows where validity?[row] ?? true {
                guard let index = dictionary.index(of: values[row], limit: limit) else {
                    end = row
                    break
                }
                indices.append(UInt32(bitPattern: index))
            }
        } else {
            PlainEncoder.appendFixed(values, validity: validity, range: rows, to: plainValues)
        }
        let done = rows.lowerBound..<end
        statistics.nullCount += builder.addRows(done, validity: validity, levels: levels)
        if let (low, high) = T.minMax(values, validity: validity, range: done, order: statistics.order) {
            statistics.merge(min: low, max: high)
        }
        return done.count
    }

    private mutating func flushPage(compressor: PageCompressor) throws(ParquetError) {
        if dictionaryActive {
            let body = encodeDictionaryIndices(indices, dictionaryCount: dictionary.count)
            let plainSize = indices.count * MemoryLayout<T>.size
            indices.removeAll(keepingCapacity: true)
            try withRawBytes(body) { raw throws(ParquetError) in
                try builder.flushDataPage(values: raw, encoding: Encoding.rleDictionary, compressor: compressor)
            }
            // Judge the dictionary on the chunk's first page, as parquet-mr does: if indices plus dictionary are
            // no smaller than PLAIN, the column is (nearly) unique and hashing the rest would be wasted work.
            if !checkedDictionary {
                checkedDictionary = true
                if body.count + dictionary.plainSize >= plainSize { dictionaryActive = false }
            }
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
        dictionary = FixedWidthDictionary<T>()
        dictionaryActive = options.dictionary
        checkedDictionary = false
        return chunk
    }
}

// One concrete writer per type: calls from a non-generic context let the optimiser specialise FixedWidthEncoder.

final class Int32ColumnWriter: ColumnWriter {
    private var encoder: FixedWidthEncoder<Int32>
    init(_ encoder: FixedWidthEncoder<Int32>) { self.encoder = encoder }
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

final class Int64ColumnWriter: ColumnWriter {
    private var encoder: FixedWidthEncoder<Int64>
    init(_ encoder: FixedWidthEncoder<Int64>) { self.encoder = encoder }
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

final class FloatColumnWriter: ColumnWriter {
    private var encoder: FixedWidthEncoder<Float>
    init(_ encoder: FixedWidthEncoder<Float>) { self.encoder = encoder }
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

final class DoubleColumnWriter: ColumnWriter {
    private var encoder: FixedWidthEncoder<Double>
    init(_ encoder: FixedWidthEncoder<Double>) { self.encoder = encoder }
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
