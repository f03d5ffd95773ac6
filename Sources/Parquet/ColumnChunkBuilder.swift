/// Explicit Dremel levels of a nested leaf's entries (one per entry, aligned with the batch's slots).
struct LeafLevels {
    var definition: [UInt8] = []
    var repetition: [UInt8] = []
}

/// A column chunk ready to be written: the optional dictionary page, the data pages, and their metadata.
struct EncodedChunk {
    var dictionaryPage: [UInt8]?
    var dataPages: GrowableBuffer
    /// Values including NULLs.
    var numValues: Int
    /// Page bodies before compression plus page headers, dictionary page included.
    var uncompressedSize: Int
    var encodings: [Int32]
    var statistics: StatsAccumulator

    var compressedSize: Int { (dictionaryPage?.count ?? 0) + dataPages.count }
}

/// What every column encoder shares: definition levels, data page assembly (levels + values, compressed, with a
/// header), and the bookkeeping of the open column chunk.
///
/// Pages are kept encoded and compressed in `pages` until the row group is written, so memory is bounded by the
/// encoded size of one row group rather than by the raw values.
struct ColumnChunkBuilder {
    /// Pages end at this many rows too, like parquet-cpp, which keeps pages quick to skip and index buffers small.
    static let maxRowsPerPage = 20_000

    let maxDefinitionLevel: Int
    let maxRepetitionLevel: Int
    let context: String
    private let checksums: Bool
    private var definitionLevels: RLEHybridEncoder
    private var repetitionLevels: RLEHybridEncoder

    private(set) var pageRows = 0
    /// The closed pages of the open chunk. Handed out by `takeChunk` and emptied lazily afterwards, so the
    /// (large) buffer is reused from row group to row group instead of being reallocated and faulted in.
    private let pages = GrowableBuffer(capacity: 1 << 16)
    private var pagesHandedOut = false
    private(set) var numValues = 0
    private(set) var uncompressedSize = 0
    private(set) var usedPlain = false
    private(set) var usedDictionary = false
    /// The uncompressed page body (levels + values) and its compressed form, reused from page to page.
    private let body = GrowableBuffer(capacity: 1 << 16)
    private let compressed = GrowableBuffer(capacity: 1 << 16)

    init(leaf: LeafColumn, context: String, checksums: Bool) {
        maxDefinitionLevel = leaf.maxDefinitionLevel
        maxRepetitionLevel = leaf.maxRepetitionLevel
        definitionLevels = RLEHybridEncoder(bitWidth: bitWidth(of: UInt64(leaf.maxDefinitionLevel)))
        repetitionLevels = RLEHybridEncoder(bitWidth: bitWidth(of: UInt64(leaf.maxRepetitionLevel)))
        self.context = context
        self.checksums = checksums
    }

    /// Whether values are written page by page as whole ranges (nested leaves): pages may then only end between
    /// appends, which the writer makes fall on row boundaries.
    var hasRepetition: Bool { maxRepetitionLevel > 0 }

    /// Records the levels of entries `rows` and returns how many are NULL. Flat columns derive their definition
    /// level from `validity`; nested leaves pass their levels explicitly.
    mutating func addRows(_ rows: Range<Int>, validity: UnsafeBufferPointer<Bool>?, levels: LeafLevels?) -> Int {
        pageRows += rows.count
        if let levels {
            var nulls = 0
            let top = UInt8(maxDefinitionLevel)
            for entry in rows {
                let definition = levels.definition[entry]
                if maxDefinitionLevel > 0 { definitionLevels.put(UInt32(definition)) }
                if maxRepetitionLevel > 0 { repetitionLevels.put(UInt32(levels.repetition[entry])) }
                nulls &+= definition < top ? 1 : 0
            }
            return nulls
        }
        guard maxDefinitionLevel > 0 else { return 0 }
        guard let validity else {
            definitionLevels.put(1, count: rows.count)
            return 0
        }
        var nulls = 0
        for row in rows {
            let valid = validity[row]
            definitionLevels.put(valid ? 1 : 0)
            nulls &+= valid ? 0 : 1
        }
        return nulls
    }

    /// Bytes of closed pages in the open chunk.
    var pagesSize: Int { pagesHandedOut ? 0 : pages.count }

    /// Encoded size of the open page's levels (the caller adds its values).
    var pageLevelBytes: Int {
        (maxDefinitionLevel > 0 ? definitionLevels.estimatedSize + 4 : 0)
            + (maxRepetitionLevel > 0 ? repetitionLevels.estimatedSize + 4 : 0)
    }

    /// Closes the open page: levels (with their 4-byte length, data page V1) and `values`, compressed, behind a
    /// page header, appended to the chunk.
    mutating func flushDataPage(
        values: UnsafeRawBufferPointer, encoding: Int32, compressor: PageCompressor
    ) throws(ParquetError) {
        guard pageRows > 0 else { return }
        body.removeAll()
        // Data page V1: repetition levels, then definition levels, each behind a 4-byte length.
        if maxRepetitionLevel > 0 {
            let start = body.count
            body.append(littleEndian: UInt32(0))
            repetitionLevels.finish(into: body)
            body.setUInt32(UInt32(body.count - start - 4), at: start)
        }
        if maxDefinitionLevel > 0 {
            let start = body.count
            body.append(littleEndian: UInt32(0))
            definitionLevels.finish(into: body)
            body.setUInt32(UInt32(body.count - start - 4), at: start)
        }
        body.append(values)
        var header = PageHeader()
        header.type = PageType.dataPage
        header.dataPageHeader = DataPageHeader(numValues: Int32(pageRows), encoding: encoding)
        if pagesHandedOut {
            pages.removeAll()
            pagesHandedOut = false
        }
        try writePage(header: &header, to: pages, compressor: compressor)
        numValues += pageRows
        pageRows = 0
        if encoding == Encoding.plain { usedPlain = true } else { usedDictionary = true }
    }

    /// The dictionary page (header included) for a PLAIN-encoded dictionary of `count` values.
    mutating func dictionaryPage(
        values: [UInt8], count: Int, compressor: PageCompressor
    ) throws(ParquetError) -> [UInt8] {
        body.removeAll()
        body.append(values)
        var header = PageHeader()
        header.type = PageType.dictionaryPage
        header.dictionaryPageHeader = DictionaryPageHeader(numValues: Int32(count))
        let page = GrowableBuffer(capacity: values.count + 64)
        try writePage(header: &header, to: page, compressor: compressor)
        return page.toArray()
    }

    /// Compresses `body`, and appends the page header and the compressed body to `output`.
    private mutating func writePage(
        header: inout PageHeader, to output: GrowableBuffer, compressor: PageCompressor
    ) throws(ParquetError) {
        guard body.count <= Int(Int32.max) else {
            throw ParquetError(.invalidBatch, "\(context): a page passed 2 GiB; lower pageBytes")
        }
        // Uncompressed pages are written as they are, without a copy.
        var stored = body
        if compressor.codec != .uncompressed {
            compressed.removeAll()
            try compressor.compress(body.bytes, into: compressed)
            stored = compressed
        }
        header.uncompressedPageSize = Int32(body.count)
        header.compressedPageSize = Int32(stored.count)
        if checksums { header.crc = pageChecksum(stored.bytes) }
        var writer = ThriftCompactWriter(capacity: 64)
        writer.writeStruct(header)
        output.append(writer.bytes)
        output.append(stored.bytes)
        uncompressedSize += writer.bytes.count + body.count
    }

    /// Hands out the chunk's pages and counters, and resets for the next row group. The pages stay valid until
    /// the next page is flushed.
    mutating func takeChunk(dictionaryPage: [UInt8]?, statistics: StatsAccumulator) -> EncodedChunk {
        var encodings: [Int32] = []
        if usedPlain || dictionaryPage != nil { encodings.append(Encoding.plain) }
        encodings.append(Encoding.rle)
        if usedDictionary { encodings.append(Encoding.rleDictionary) }
        let chunk = EncodedChunk(
            dictionaryPage: dictionaryPage, dataPages: pagesHandedOut ? GrowableBuffer(capacity: 64) : pages,
            numValues: numValues, uncompressedSize: uncompressedSize, encodings: encodings, statistics: statistics)
        pagesHandedOut = true
        numValues = 0
        uncompressedSize = 0
        usedPlain = false
        usedDictionary = false
        return chunk
    }
}
