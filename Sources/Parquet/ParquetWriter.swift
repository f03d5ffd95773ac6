/// Writes one Parquet file from columnar batches, one row group at a time.
///
/// Batches are encoded as they arrive: each column keeps its closed pages encoded and compressed in memory, and a
/// row group is written out once its encoded size passes ``WriterOptions/rowGroupBytes``. So memory stays around
/// one row group, whatever the file size. ``close()`` writes the footer and fsyncs.
///
/// ```swift
/// let schema = ParquetSchema(fields: [
///     ParquetField(name: "id", physicalType: .int64, nullable: false),
///     ParquetField(name: "name", physicalType: .byteArray, logicalType: .string),
/// ])
/// let writer = try ParquetWriter(path: "/tmp/users.parquet", schema: schema)
/// try writer.write([
///     ColumnBatch(values: .int64([1, 2])),
///     ColumnBatch(values: .byteArray(offsets: [0, 3, 3], data: Array("bob".utf8)), validity: [true, false]),
/// ])
/// let file = try writer.close()
/// ```
///
/// - Note: The file is written in place at `path`. Callers that need atomic visibility write to a temporary name
///   and rename it after ``close()``.
/// - Note: Not thread-safe; use one writer per thread (or task).
public final class ParquetWriter {
    public let path: String
    /// The leaf columns. For a nested schema, each leaf is named by its dotted path (`add.partitionValues...`).
    public let schema: ParquetSchema
    /// The schema as given (for flat schemas, one ``SchemaNode/primitive(_:)`` per field).
    public let nodes: [SchemaNode]
    public let options: WriterOptions

    private var file: OutputFile?
    private let compiled: CompiledSchema
    /// For each leaf column, the top-level node (and batch of ``write(_:)``) it belongs to.
    private let nodeOfLeaf: [Int]
    /// Whether a leaf lies under a list or map, so pages end only between appends (see ``sliceRows()``).
    private let hasRepeatedLeaves: Bool
    /// Worker threads, each with its own codec context.
    private let workers: WorkerPool<PageCompressor>
    private var columns: [any ColumnWriter]
    private var fileStatistics: [StatsAccumulator]
    private var rowGroups: [RowGroup] = []
    private var offset = 0
    private var rowsInGroup = 0
    private var totalRows = 0
    /// Encoded bytes per row in the last row group, to size the slices batches are cut into.
    private var bytesPerRow = 0
    private var failure: ParquetError?

    /// Creates (or truncates) `path` for a flat schema and writes the leading magic bytes.
    /// - Throws: `invalidSchema` if a field's logical type doesn't fit its physical type; `io` if the file can't
    ///   be created.
    public convenience init(
        path: String, schema: ParquetSchema, options: WriterOptions = WriterOptions()
    ) throws(ParquetError) {
        try self.init(path: path, nodes: schema.fields.map { .primitive($0) }, options: options)
    }

    /// Creates (or truncates) `path` for a nested schema (structs, lists, maps), written with ``write(rows:)``.
    /// - Throws: `invalidSchema` for inconsistent schemas; `io` if the file can't be created.
    public init(path: String, nodes: [SchemaNode], options: WriterOptions = WriterOptions()) throws(ParquetError) {
        self.path = path
        self.nodes = nodes
        self.options = options
        guard options.pageBytes > 0, options.rowGroupBytes > 0, options.dictionaryMaxBytes >= 0 else {
            throw ParquetError(.invalidSchema, "\(path): pageBytes and rowGroupBytes must be positive")
        }
        let compiled = try CompiledSchema(nodes)
        self.compiled = compiled
        nodeOfLeaf = compiled.nodes.indices.flatMap { n in compiled.nodes[n].leaves.map { _ in n } }
        hasRepeatedLeaves = compiled.leaves.contains { $0.maxRepetitionLevel > 0 }
        schema = ParquetSchema(
            fields: compiled.leaves.map { leaf in
                var field = leaf.field
                field.name = leaf.path.joined(separator: ".")
                return field
            })
        let threads = options.threads > 0 ? options.threads : availableProcessors()
        workers = WorkerPool(threads: min(threads, max(compiled.leaves.count, 1))) {
            PageCompressor(codec: options.codec)
        }
        columns = compiled.leaves.map { makeColumnWriter(leaf: $0, options: options, path: path) }
        fileStatistics = compiled.leaves.map { StatsAccumulator(order: StatOrder($0.field)) }
        let file = try OutputFile(path: path)
        self.file = file
        try write(Array("PAR1".utf8))
    }

    deinit {
        if let file { try? file.close() }
    }

    /// Bytes written to the file so far plus the encoded size of the open row group: roughly what the file
    /// would be if closed now (less the footer). Callers roll over to a new file when it passes their target.
    public var bytesWritten: Int {
        offset + bufferedBytes
    }

    /// Encoded bytes of the open row group.
    private var bufferedBytes: Int {
        columns.reduce(0) { $0 + $1.bufferedBytes }
    }

    /// Rows written so far, including the open row group.
    public var rowsWritten: Int { totalRows + rowsInGroup }

    /// Appends one batch of rows: one ``ColumnBatch`` per top-level node (for a flat schema, per field), in schema
    /// order, all of the same length. Nested nodes take nested batches (``ColumnValues/list(offsets:elements:)``
    /// for lists, ``ColumnValues/structure(_:)`` for groups), shredded into levels a whole array at a time.
    /// - Throws: `invalidBatch` if the batch doesn't match the schema (nothing of it is written then); `io` or
    ///   `compression` errors, after which the writer is unusable.
    public func write(_ batch: [ColumnBatch]) throws(ParquetError) {
        try checkUsable()
        let rows = try validate(batch)
        let nodeOfLeaf = nodeOfLeaf
        var row = 0
        while row < rows {
            // Cut big batches into slices, so a row group can close in the middle of one.
            let end = min(rows, row + sliceRows())
            var shredded = [(ColumnBatch, LeafLevels)?](repeating: nil, count: columns.count)
            for (index, node) in compiled.nodes.enumerated() {
                if case .leaf = node.kind { continue }
                ColumnarShredder.shred(batch[index], node: node, rows: row..<end, into: &shredded)
            }
            do {
                let columns = columns
                let slices = shredded
                try workers.forEach(columns.count) { index, compressor throws(ParquetError) in
                    if let (leafBatch, levels) = slices[index] {
                        try columns[index].append(
                            leafBatch, rows: 0..<leafBatch.count, levels: levels, compressor: compressor)
                    } else {
                        try columns[index].append(
                            batch[nodeOfLeaf[index]], rows: row..<end, levels: nil, compressor: compressor)
                    }
                }
            } catch {
                failure = error
                throw error
            }
            rowsInGroup += end - row
            row = end
            if bufferedBytes >= options.rowGroupBytes { try flushRowGroup() }
        }
    }

    /// Appends rows of a nested (or flat) schema: one ``ParquetValue`` per top-level node in each row.
    ///
    /// - Note: Pages of columns inside lists and maps end only between calls, so pass rows in batches of a few
    ///   thousand rather than all at once.
    /// - Throws: `invalidBatch` if a value doesn't match the schema (nothing of the call is written then); `io`
    ///   or `compression` errors, after which the writer is unusable.
    public func write(rows: [[ParquetValue]]) throws(ParquetError) {
        try checkUsable()
        guard !rows.isEmpty else { return }
        var leaves = compiled.leaves.map { LeafBuilder(leaf: $0) }
        for (number, row) in rows.enumerated() {
            guard row.count == compiled.nodes.count else {
                throw ParquetError(
                    .invalidBatch, "\(path): row \(number) has \(row.count) values, the schema \(compiled.nodes.count)")
            }
            do {
                for (node, value) in zip(compiled.nodes, row) {
                    try Shredder.shred(value, node: node, definition: 0, repetition: 0, into: &leaves)
                }
            } catch {
                throw ParquetError(error.code, "\(path), row \(number): \(error.message)")
            }
        }
        let batches = leaves.indices.map { leaves[$0].take() }
        do {
            let columns = columns
            try workers.forEach(columns.count) { index, compressor throws(ParquetError) in
                let (batch, levels) = batches[index]
                try columns[index].append(batch, rows: 0..<batch.count, levels: levels, compressor: compressor)
            }
        } catch {
            failure = error
            throw error
        }
        rowsInGroup += rows.count
        if bufferedBytes >= options.rowGroupBytes { try flushRowGroup() }
    }

    /// Writes the open row group now, even if it is smaller than ``WriterOptions/rowGroupBytes``.
    public func flushRowGroup() throws(ParquetError) {
        try checkUsable()
        guard rowsInGroup > 0 else { return }
        do {
            var group = RowGroup()
            group.numRows = Int64(rowsInGroup)
            group.fileOffset = Int64(offset)
            group.ordinal = Int16(truncatingIfNeeded: rowGroups.count)
            var compressed = 0
            // Close every column's last page (and build its dictionary page) in parallel, then write in order.
            let columns = columns
            // Written by the workers without a lock: the pool hands each column index to one worker, which writes only
            // that slot, and `forEach` returns after all are done, before the slots are read.
            let finished = UnsafeMutableBufferPointer<EncodedChunk?>.allocate(capacity: columns.count)
            finished.initialize(repeating: nil)
            defer {
                finished.deinitialize()
                finished.deallocate()
            }
            try workers.forEach(columns.count) { index, compressor throws(ParquetError) in
                finished[index] = try columns[index].finishChunk(compressor: compressor)
            }
            for index in columns.indices {
                guard let chunk = finished[index] else { continue }
                var metadata = ColumnMetaData()
                metadata.type = compiled.leaves[index].field.physicalType.thriftValue
                metadata.encodings = chunk.encodings
                metadata.pathInSchema = compiled.leaves[index].path
                metadata.codec = options.codec.thriftValue
                metadata.numValues = Int64(chunk.numValues)
                metadata.totalUncompressedSize = Int64(chunk.uncompressedSize)
                metadata.totalCompressedSize = Int64(chunk.compressedSize)
                metadata.statistics = chunk.statistics.thrift
                if let dictionaryPage = chunk.dictionaryPage {
                    metadata.dictionaryPageOffset = Int64(offset)
                    try write(dictionaryPage)
                }
                metadata.dataPageOffset = Int64(offset)
                try write(chunk.dataPages.bytes)
                fileStatistics[index].merge(chunk.statistics)
                group.columns.append(ColumnChunk(metaData: metadata))
                group.totalByteSize += Int64(chunk.uncompressedSize)
                compressed += chunk.compressedSize
            }
            group.totalCompressedSize = Int64(compressed)
            rowGroups.append(group)
            bytesPerRow = max(1, compressed / rowsInGroup)
            totalRows += rowsInGroup
            rowsInGroup = 0
        } catch {
            failure = error
            throw error
        }
    }

    /// Writes the last row group and the footer, fsyncs and closes the file.
    /// - Returns: the file's size, row count and per-column statistics (for table logs such as Delta Lake's).
    @discardableResult
    public func close() throws(ParquetError) -> WrittenFile {
        try flushRowGroup()
        guard let file else { throw ParquetError(.closed, "\(path): the writer is closed") }
        do {
            var footer = FileMetaData()
            footer.version = 2
            footer.schema = compiled.elements
            footer.numRows = Int64(totalRows)
            footer.rowGroups = rowGroups
            footer.createdBy = options.createdBy
            footer.typeDefinedColumnOrders = compiled.leaves.count
            if !options.keyValueMetadata.isEmpty {
                footer.keyValueMetadata = options.keyValueMetadata.sorted { $0.key < $1.key }.map {
                    KeyValue(key: $0.key, value: $0.value)
                }
            }
            var writer = ThriftCompactWriter(capacity: 1024)
            writer.writeStruct(footer)
            var tail = writer.bytes
            LittleEndian.appendUInt32(UInt32(tail.count), to: &tail)
            tail.append(contentsOf: Array("PAR1".utf8))
            try write(tail)
            try file.sync()
            self.file = nil
            try file.close()
        } catch {
            failure = error
            self.file = nil
            try? file.close()
            throw error
        }
        failure = ParquetError(.closed, "\(path): the writer is closed")
        let summaries = zip(schema.fields, fileStatistics).map { field, statistics in
            ColumnSummary(
                name: field.name, nullCount: statistics.nullCount, min: statistics.min, max: statistics.max)
        }
        return WrittenFile(
            path: path, fileSize: offset, numRows: totalRows, rowGroups: rowGroups.count, columns: summaries)
    }

    // MARK: - Internals

    private func checkUsable() throws(ParquetError) {
        if let failure { throw ParquetError(.closed, "\(path): writer unusable after an earlier error: \(failure)") }
    }

    private func write(_ bytes: [UInt8]) throws(ParquetError) {
        try withRawBytes(bytes) { raw throws(ParquetError) in try write(raw) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        guard let file else { throw ParquetError(.closed, "\(path): the writer is closed") }
        try file.write(bytes)
        offset += bytes.count
    }

    /// Rows per slice: what fits in the rest of the row group at the bytes per row seen so far (at least 256,
    /// at most 65536 rows, so slices stay cache-friendly and threads get enough work per hand-off). Pages of
    /// leaves under a list end only between slices, so with such leaves a slice is also sized to about one page.
    private func sliceRows() -> Int {
        let buffered = bufferedBytes
        let perRow = rowsInGroup > 0 ? max(1, buffered / rowsInGroup) : bytesPerRow
        guard perRow > 0 else { return hasRepeatedLeaves ? 1024 : 4096 }
        let upper = hasRepeatedLeaves ? max(64, min(65536, options.pageBytes / perRow)) : 65536
        return max(min(256, upper), min(upper, (options.rowGroupBytes - buffered) / perRow))
    }

    /// Checks a batch against the schema before any of it is encoded, so a bad batch leaves the file intact.
    private func validate(_ batch: [ColumnBatch]) throws(ParquetError) -> Int {
        guard batch.count == compiled.nodes.count else {
            throw ParquetError(
                .invalidBatch, "\(path): batch has \(batch.count) columns, the schema \(compiled.nodes.count)")
        }
        let rows = batch.first?.count ?? 0
        for (index, (column, node)) in zip(batch, compiled.nodes).enumerated() {
            func fail(_ why: String) -> ParquetError {
                ParquetError(.invalidBatch, "\(path), column \(index) '\(node.name)': \(why)")
            }
            guard column.count == rows else { throw fail("\(column.count) rows, the first column has \(rows)") }
            guard case .leaf(let leaf) = node.kind else {
                try ColumnarShredder.validate(
                    column, node: node, leaves: compiled.leaves, context: "\(path), column \(index)")
                continue
            }
            if let validity = column.validity {
                guard validity.count == rows else {
                    throw fail("validity has \(validity.count) entries for \(rows) rows")
                }
                if !node.nullable && validity.contains(false) { throw fail("NULL in a non-nullable column") }
            }
            try ColumnarShredder.checkLeaf(
                column.values, type: compiled.leaves[leaf].field.physicalType, rows: rows, fail: fail)
        }
        return rows
    }
}
