/// Reads one column chunk: walks its pages (dictionary, data page V1 and V2), decompresses them, decodes the
/// definition levels and hands the values to a ``ValueReader``.
///
/// Levels are decoded generally (any maximum level), so nested columns can be added by interpreting repetition
/// and definition levels above one; flat columns have at most definition level 1 and no repetition levels.
struct ColumnChunkReader {
    let physicalType: PhysicalType
    let maxDefinitionLevel: Int
    let maxRepetitionLevel: Int
    let codec: Int32
    /// "file, row group r, column 'name'", for error messages.
    let context: String
    /// Also return every entry's definition and repetition levels (nested leaves).
    var keepLevels = false

    func read(
        chunk: [UInt8], numValues: Int, decompressor: PageDecompressor
    ) throws(ParquetError) -> (ColumnBatch, LeafLevels?) {
        // One call per concrete reader type, so each page loop is specialised.
        switch physicalType {
        case .boolean:
            return try read(chunk, numValues, decompressor, BooleanValueReader(rows: numValues))
        case .int32:
            return try read(
                chunk, numValues, decompressor,
                FixedWidthValueReader<Int32>(rows: numValues, allowsDelta: true) { .int32($0) })
        case .int64:
            return try read(
                chunk, numValues, decompressor,
                FixedWidthValueReader<Int64>(rows: numValues, allowsDelta: true) { .int64($0) })
        case .float:
            return try read(
                chunk, numValues, decompressor,
                FixedWidthValueReader<Float>(rows: numValues, allowsDelta: false) { .float($0) })
        case .double:
            return try read(
                chunk, numValues, decompressor,
                FixedWidthValueReader<Double>(rows: numValues, allowsDelta: false) { .double($0) })
        case .byteArray:
            return try read(chunk, numValues, decompressor, ByteArrayValueReader(rows: numValues, width: nil))
        case .fixedLenByteArray(let width):
            return try read(chunk, numValues, decompressor, ByteArrayValueReader(rows: numValues, width: width))
        }
    }

    private func read<Reader: ValueReader>(
        _ chunk: [UInt8], _ numValues: Int, _ decompressor: PageDecompressor, _ reader: Reader
    ) throws(ParquetError) -> (ColumnBatch, LeafLevels?) {
        var values = reader
        var validity: [Bool] = []
        var anyNull = false
        var scratch = PageScratch()
        var levels: LeafLevels? = keepLevels ? LeafLevels() : nil
        var position = 0
        var valuesRead = 0
        var pageIndex = 0
        if maxDefinitionLevel > 0 { validity.reserveCapacity(numValues) }
        while valuesRead < numValues {
            let pageContext = "\(context), page \(pageIndex)"
            guard position < chunk.count else {
                throw ParquetError(.corrupt, "\(context): chunk ends after \(valuesRead) of \(numValues) values")
            }
            var thrift = ThriftCompactReader(bytes: chunk, position: position, context: "\(pageContext) header")
            let header = try PageHeader(from: &thrift)
            let bodyStart = thrift.position
            guard Int(header.compressedPageSize) <= chunk.count - bodyStart else {
                throw ParquetError(.corrupt, "\(pageContext): page body runs past the column chunk")
            }
            let bodyEnd = bodyStart + Int(header.compressedPageSize)
            position = bodyEnd
            pageIndex += 1
            try withRawBytes(chunk) { raw throws(ParquetError) in
                let body = UnsafeRawBufferPointer(rebasing: raw[bodyStart..<bodyEnd])
                if let crc = header.crc, pageChecksum(body) != crc {
                    throw ParquetError(.corrupt, "\(pageContext): CRC mismatch")
                }
                switch header.type {
                case PageType.dictionaryPage:
                    guard let dictionary = header.dictionaryPageHeader, dictionary.numValues >= 0 else {
                        throw ParquetError(.corrupt, "\(pageContext): dictionary page without its header")
                    }
                    guard dictionary.encoding == Encoding.plain || dictionary.encoding == Encoding.plainDictionary
                    else {
                        throw unsupportedEncoding(dictionary.encoding, pageContext)
                    }
                    try decompressor.decompress(
                        codec: codec, body, uncompressedSize: Int(header.uncompressedPageSize),
                        into: scratch.decompressed, context: pageContext)
                    try values.readDictionary(
                        scratch.decompressed.bytes, count: Int(dictionary.numValues), context: pageContext)
                case PageType.dataPage, PageType.dataPageV2:
                    let rows = try readDataPage(
                        header, body: body, values: &values, scratch: &scratch, decompressor: decompressor,
                        context: pageContext)
                    valuesRead += rows
                    if keepLevels {
                        levels?.definition.append(contentsOf: scratch.definitionLevels)
                        levels?.repetition.append(contentsOf: scratch.repetitionLevels)
                    }
                    if maxDefinitionLevel > 0 {
                        validity.append(contentsOf: scratch.validity)
                        anyNull = anyNull || scratch.nonNull < rows
                    }
                default:
                    break  // Index pages and future page types carry no values.
                }
            }
        }
        guard valuesRead == numValues else {
            throw ParquetError(.corrupt, "\(context): pages hold \(valuesRead) values, the metadata says \(numValues)")
        }
        return (ColumnBatch(values: values.finish(), validity: anyNull ? validity : nil), levels)
    }

    /// Decodes one data page (V1 or V2) into `values`. Returns its row count; its validity is in
    /// `scratch.validity`.
    private func readDataPage<Reader: ValueReader>(
        _ header: PageHeader, body: UnsafeRawBufferPointer, values: inout Reader, scratch: inout PageScratch,
        decompressor: PageDecompressor, context: String
    ) throws(ParquetError) -> Int {
        let rows: Int
        let encoding: Int32
        let definitionLevels: UnsafeRawBufferPointer
        let repetitionLevels: UnsafeRawBufferPointer
        let valueBytes: UnsafeRawBufferPointer
        if let v1 = header.dataPageHeader {
            rows = Int(v1.numValues)
            encoding = v1.encoding
            try decompressor.decompress(
                codec: codec, body, uncompressedSize: Int(header.uncompressedPageSize), into: scratch.decompressed,
                context: context)
            // V1: [repetition levels][definition levels][values], levels with a 4-byte length prefix.
            let page = scratch.decompressed.bytes
            var offset = 0
            var definition = UnsafeRawBufferPointer(start: nil, count: 0)
            var repetition = UnsafeRawBufferPointer(start: nil, count: 0)
            for (maxLevel, levelEncoding, isDefinition) in [
                (maxRepetitionLevel, v1.repetitionLevelEncoding, false),
                (maxDefinitionLevel, v1.definitionLevelEncoding, true),
            ] where maxLevel > 0 {
                guard levelEncoding == Encoding.rle else { throw unsupportedEncoding(levelEncoding, context) }
                guard offset + 4 <= page.count else {
                    throw ParquetError(.corrupt, "\(context): levels past the page end")
                }
                let length = Int(LittleEndian.readUInt32(page, at: offset))
                guard length <= page.count - offset - 4 else {
                    throw ParquetError(.corrupt, "\(context): level length \(length) past the page end")
                }
                let region = UnsafeRawBufferPointer(rebasing: page[(offset + 4)..<(offset + 4 + length)])
                if isDefinition { definition = region } else { repetition = region }
                offset += 4 + length
            }
            definitionLevels = definition
            repetitionLevels = repetition
            valueBytes = UnsafeRawBufferPointer(rebasing: page[offset...])
        } else if let v2 = header.dataPageHeaderV2 {
            rows = Int(v2.numValues)
            encoding = v2.encoding
            // V2: levels first, never compressed and without length prefixes; then the (maybe compressed) values.
            let repetitionLength = Int(v2.repetitionLevelsByteLength)
            let definitionLength = Int(v2.definitionLevelsByteLength)
            let levelBytes = repetitionLength + definitionLength
            guard levelBytes <= body.count, levelBytes <= Int(header.uncompressedPageSize) else {
                throw ParquetError(.corrupt, "\(context): V2 levels past the page end")
            }
            definitionLevels = UnsafeRawBufferPointer(rebasing: body[repetitionLength..<levelBytes])
            repetitionLevels = UnsafeRawBufferPointer(rebasing: body[0..<repetitionLength])
            let storedValues = UnsafeRawBufferPointer(rebasing: body[levelBytes...])
            if v2.isCompressed && codec != CompressionCodec.uncompressed {
                try decompressor.decompress(
                    codec: codec, storedValues, uncompressedSize: Int(header.uncompressedPageSize) - levelBytes,
                    into: scratch.decompressed, context: context)
                valueBytes = scratch.decompressed.bytes
            } else {
                valueBytes = storedValues
            }
        } else {
            throw ParquetError(.corrupt, "\(context): data page without its header")
        }
        guard rows >= 0 else { throw ParquetError(.corrupt, "\(context): negative value count") }
        scratch.validity.removeAll(keepingCapacity: true)
        scratch.nonNull = rows
        if keepLevels {
            scratch.definitionLevels.removeAll(keepingCapacity: true)
            scratch.repetitionLevels.removeAll(keepingCapacity: true)
            if maxRepetitionLevel > 0 {
                try RLEHybridDecoder.decode(
                    repetitionLevels, bitWidth: bitWidth(of: UInt64(maxRepetitionLevel)), count: rows,
                    into: &scratch.levels, context: context)
                for level in scratch.levels {
                    guard level <= UInt32(maxRepetitionLevel) else {
                        throw ParquetError(.corrupt, "\(context): repetition level \(level) above the maximum")
                    }
                    scratch.repetitionLevels.append(UInt8(level))
                }
            } else {
                scratch.repetitionLevels.append(contentsOf: repeatElement(0, count: rows))
            }
        }
        if maxDefinitionLevel > 0 {
            try RLEHybridDecoder.decode(
                definitionLevels, bitWidth: bitWidth(of: UInt64(maxDefinitionLevel)), count: rows,
                into: &scratch.levels, context: context)
            if keepLevels {
                for level in scratch.levels {
                    guard level <= UInt32(maxDefinitionLevel) else {
                        throw ParquetError(.corrupt, "\(context): definition level \(level) above the maximum")
                    }
                    scratch.definitionLevels.append(UInt8(level))
                }
            }
            let maxLevel = UInt32(maxDefinitionLevel)
            var nonNull = 0
            scratch.validity.reserveCapacity(rows)
            for level in scratch.levels {
                scratch.validity.append(level == maxLevel)
                nonNull &+= level == maxLevel ? 1 : 0
            }
            scratch.nonNull = nonNull
        } else if keepLevels {
            scratch.definitionLevels.append(contentsOf: repeatElement(0, count: rows))
        }
        if scratch.nonNull == rows {
            try values.readPage(
                valueBytes, encoding: encoding, rows: rows, nonNull: rows, validity: nil, context: context)
        } else {
            try scratch.validity.withUnsafeBufferPointer { validity throws(ParquetError) in
                try values.readPage(
                    valueBytes, encoding: encoding, rows: rows, nonNull: scratch.nonNull, validity: validity,
                    context: context)
            }
        }
        return rows
    }
}

/// Buffers reused from page to page.
struct PageScratch {
    let decompressed = GrowableBuffer(capacity: 1 << 16)
    var levels: [UInt32] = []
    var definitionLevels: [UInt8] = []
    var repetitionLevels: [UInt8] = []
    var validity: [Bool] = []
    var nonNull = 0
}
