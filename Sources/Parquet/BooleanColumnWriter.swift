/// BOOLEAN columns: PLAIN, bit-packed LSB first. Dictionaries don't pay off for two values.
final class BooleanColumnWriter: ColumnWriter {
    // The state lives in a struct so the hot loop mutates a local `inout` value, not class properties.
    private var encoder: BooleanEncoder

    init(builder: ColumnChunkBuilder, options: WriterOptions) {
        encoder = BooleanEncoder(builder: builder, options: options)
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

struct BooleanEncoder {
    private var builder: ColumnChunkBuilder
    /// The explicit levels of the batch being appended (nested leaves only).
    private var levels: LeafLevels?
    private let options: WriterOptions
    private var statistics = StatsAccumulator(order: .signed)
    private var packer = BooleanPacker()
    private let plainValues = GrowableBuffer(capacity: 4096)

    init(builder: ColumnChunkBuilder, options: WriterOptions) {
        self.builder = builder
        self.options = options
    }

    var bufferedBytes: Int { builder.pagesSize + packer.size(plainValues) + builder.pageLevelBytes }

    mutating func append(
        _ batch: ColumnBatch, rows: Range<Int>, levels: LeafLevels?, compressor: PageCompressor
    ) throws(ParquetError) {
        self.levels = levels
        defer { self.levels = nil }
        guard case .boolean(let array) = batch.values else {
            throw ParquetError(.invalidBatch, "\(builder.context): values are not booleans")
        }
        try array.withUnsafeBufferPointer { values throws(ParquetError) in
            try withOptionalBuffer(batch.validity) { validity throws(ParquetError) in
                var row = rows.lowerBound
                while row < rows.upperBound {
                    let byteRoom = options.pageBytes - packer.size(plainValues) - builder.pageLevelBytes
                    let capacity =
                        builder.hasRepetition
                        ? Int.max / 4 : max(1, min(ColumnChunkBuilder.maxRowsPerPage - builder.pageRows, byteRoom * 8))
                    let end = min(rows.upperBound, row + capacity)
                    var sawFalse = false
                    var sawTrue = false
                    for index in row..<end where validity?[index] ?? true {
                        let value = values[index]
                        packer.append(value, to: plainValues)
                        if value { sawTrue = true } else { sawFalse = true }
                    }
                    if sawTrue || sawFalse {
                        statistics.merge(min: .boolean(!sawFalse), max: .boolean(sawTrue))
                    }
                    statistics.nullCount += builder.addRows(row..<end, validity: validity, levels: levels)
                    row = end
                    if builder.pageRows >= ColumnChunkBuilder.maxRowsPerPage
                        || packer.size(plainValues) + builder.pageLevelBytes >= options.pageBytes
                    {
                        try flushPage(compressor: compressor)
                    }
                }
            }
        }
    }

    private mutating func flushPage(compressor: PageCompressor) throws(ParquetError) {
        packer.finish(to: plainValues)
        try builder.flushDataPage(values: plainValues.bytes, encoding: Encoding.plain, compressor: compressor)
        plainValues.removeAll()
    }

    mutating func finishChunk(compressor: PageCompressor) throws(ParquetError) -> EncodedChunk {
        try flushPage(compressor: compressor)
        let chunk = builder.takeChunk(dictionaryPage: nil, statistics: statistics)
        statistics = StatsAccumulator(order: .signed)
        return chunk
    }
}
