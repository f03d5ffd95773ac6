/// Reads a Parquet file with a flat schema, one row group at a time.
///
/// Reads what this library writes and what other writers produce for the same types: data page V1 and V2,
/// PLAIN, dictionary, RLE, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT
/// encodings, and UNCOMPRESSED, SNAPPY, GZIP and ZSTD pages.
///
/// ```swift
/// let reader = try ParquetReader(path: "/tmp/users.parquet")
/// for group in 0..<reader.rowGroupCount {
///     let columns = try reader.readRowGroup(group, columns: ["id"])
/// }
/// ```
///
/// Nested columns (structs and lists) are read columnar too, as ``ColumnValues/structure(_:)`` and
/// ``ColumnValues/list(offsets:elements:)`` batches; maps only row by row, with ``readRows(rowGroup:columns:)``.
///
/// - Note: Not thread-safe; use one reader per thread (or task).
public final class ParquetReader {
    public let path: String
    /// The file's top-level primitive columns, in file order: every column of a flat file. Their footer
    /// statistics are what ``statistics(ofRowGroup:)`` reports.
    public let schema: ParquetSchema
    /// The full schema, nested columns included.
    public let nodes: [SchemaNode]
    public let numRows: Int
    public let keyValueMetadata: [String: String]
    /// The writer's `created_by` string, e.g. "parquet-cpp-arrow version 26.0.1".
    public let createdBy: String?

    private let file: InputFile
    private let metadata: FileMetaData
    private let compiled: CompiledSchema
    /// For each field of ``schema``, its leaf (column chunk) index.
    private let flatLeaves: [Int]
    /// Worker threads, each with its own codec context.
    private let workers: WorkerPool<PageDecompressor>

    /// Opens `path`, and reads and validates the footer.
    /// - Parameter threads: threads that decode columns in parallel; 0 means one per CPU.
    /// - Throws: `io` if the file can't be read, `corrupt` if it isn't valid Parquet, `unsupported` for legacy
    ///   nested layouts, encrypted files or columns stored in other files.
    public init(path: String, threads: Int = 0) throws(ParquetError) {
        self.path = path
        workers = WorkerPool(threads: threads > 0 ? threads : availableProcessors()) { PageDecompressor() }
        let file = try InputFile(path: path)
        self.file = file
        guard file.size >= 12 else {
            throw ParquetError(.corrupt, "\(path): \(file.size) bytes is too short for Parquet")
        }
        let tail = try file.read(at: file.size - 8, count: 8)
        let magic = Array(tail[4..<8])
        if magic == Array("PARE".utf8) { throw ParquetError(.unsupported, "\(path): the footer is encrypted") }
        guard magic == Array("PAR1".utf8) else { throw ParquetError(.corrupt, "\(path): no PAR1 magic at the end") }
        guard try file.read(at: 0, count: 4) == Array("PAR1".utf8) else {
            throw ParquetError(.corrupt, "\(path): no PAR1 magic at the start")
        }
        let footerLength = tail.withUnsafeBytes { Int(LittleEndian.readUInt32($0, at: 0)) }
        guard footerLength <= file.size - 12 else {
            throw ParquetError(.corrupt, "\(path): footer length \(footerLength) exceeds the file")
        }
        let footer = try file.read(at: file.size - 8 - footerLength, count: footerLength)
        var thrift = ThriftCompactReader(bytes: footer, context: "\(path) footer")
        let metadata = try FileMetaData(from: &thrift)
        if metadata.encrypted { throw ParquetError(.unsupported, "\(path): the file is encrypted") }
        self.metadata = metadata
        nodes = try CompiledSchema.nodes(from: metadata.schema, path: path)
        let compiled = try CompiledSchema(nodes, validating: false)
        self.compiled = compiled
        var fields: [ParquetField] = []
        var flatLeaves: [Int] = []
        for node in compiled.nodes {
            guard case .leaf(let leaf) = node.kind else { continue }
            fields.append(compiled.leaves[leaf].field)
            flatLeaves.append(leaf)
        }
        schema = ParquetSchema(fields: fields)
        self.flatLeaves = flatLeaves
        guard metadata.numRows >= 0 else { throw ParquetError(.corrupt, "\(path): negative row count") }
        numRows = Int(metadata.numRows)
        createdBy = metadata.createdBy
        var keyValues: [String: String] = [:]
        for entry in metadata.keyValueMetadata ?? [] { keyValues[entry.key] = entry.value ?? "" }
        keyValueMetadata = keyValues
        try validateRowGroups()
    }

    public var rowGroupCount: Int { metadata.rowGroups.count }

    /// The number of rows in row group `index`.
    public func rowCount(ofRowGroup index: Int) -> Int {
        Int(metadata.rowGroups[index].numRows)
    }

    /// The footer statistics of row group `index`, one per schema field. Min/max are `nil` when the writer left
    /// them out, and for BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY files without `column_orders`, whose legacy min/max
    /// have an unreliable sort order.
    public func statistics(ofRowGroup index: Int) -> [ColumnSummary] {
        let group = metadata.rowGroups[index]
        return zip(schema.fields, flatLeaves.map { group.columns[$0] }).map { field, chunk in
            let statistics = chunk.metaData?.statistics
            var minValue = statistics?.minValue
            var maxValue = statistics?.maxValue
            switch field.physicalType {
            case .byteArray, .fixedLenByteArray: break
            default:
                minValue = minValue ?? statistics?.legacyMin
                maxValue = maxValue ?? statistics?.legacyMax
            }
            return ColumnSummary(
                name: field.name, nullCount: Int(statistics?.nullCount ?? 0),
                min: minValue.flatMap { StatValue(encoded: $0, type: field.physicalType) },
                max: maxValue.flatMap { StatValue(encoded: $0, type: field.physicalType) })
        }
    }

    /// Reads row group `index`.
    /// - Parameter columns: the names of the top-level columns to read, in the order wanted; `nil` reads all, in
    ///   schema order (``nodes``). Only the requested column chunks are read from disk.
    /// - Returns: one ``ColumnBatch`` per requested column, each with ``rowCount(ofRowGroup:)`` rows; nested
    ///   columns as nested batches.
    /// - Throws: `unknownColumn` for a name not in the schema; `unsupported` for a map column; `corrupt`,
    ///   `unsupported` or `io` otherwise.
    public func readRowGroup(_ index: Int, columns: [String]? = nil) throws(ParquetError) -> [ColumnBatch] {
        guard index >= 0 && index < metadata.rowGroups.count else {
            throw ParquetError(.unknownColumn, "\(path): no row group \(index) (the file has \(rowGroupCount))")
        }
        let group = metadata.rowGroups[index]
        var selected: [CompiledNode] = []
        for name in columns ?? compiled.nodes.map(\.name) {
            guard let node = compiled.nodes.first(where: { $0.name == name }) else {
                throw ParquetError(.unknownColumn, "\(path): no column named '\(name)'")
            }
            if case .map = node.kind {
                throw ParquetError(
                    .unsupported, "\(path): column '\(name)' is a map; read it with readRows(rowGroup:columns:)")
            }
            selected.append(node)
        }
        // The leaves to decode, each once; those under a nested node with their levels.
        var wanted: [(leaf: Int, levels: Bool)] = []
        var position = [Int](repeating: -1, count: compiled.leaves.count)
        for node in selected {
            let nested: Bool
            if case .leaf = node.kind { nested = false } else { nested = true }
            for leaf in node.leaves where position[leaf] < 0 {
                position[leaf] = wanted.count
                wanted.append((leaf, nested))
            }
        }
        // Written by the workers without a lock: each worker writes only the slots of the positions it claimed, and
        // every position is claimed once, so no two threads touch one slot; `forEach` returns after all are done.
        let results = UnsafeMutableBufferPointer<(ColumnBatch, LeafLevels?)?>.allocate(capacity: wanted.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let leaves = wanted
        try workers.forEach(leaves.count) { position, decompressor throws(ParquetError) in
            results[position] = try readColumn(
                leaves[position].leaf, of: group, index: index, keepLevels: leaves[position].levels,
                decompressor: decompressor)
        }
        var assembly: [AssemblyLeaf?] = []
        var batches: [ColumnBatch] = []
        batches.reserveCapacity(selected.count)
        for node in selected {
            if case .leaf(let leaf) = node.kind, let (batch, _) = results[position[leaf]] {
                batches.append(batch)
                continue
            }
            if assembly.isEmpty {
                assembly = [AssemblyLeaf?](repeating: nil, count: compiled.leaves.count)
                for (slot, entry) in leaves.enumerated() where entry.levels {
                    guard let (batch, levels) = results[slot] else { continue }
                    assembly[entry.leaf] = AssemblyLeaf(
                        field: compiled.leaves[entry.leaf].field, batch: batch, levels: levels ?? LeafLevels())
                }
            }
            let assembler = ColumnarAssembler(leaves: assembly, context: "\(path), row group \(index)")
            let batch = try assembler.batch(of: node)
            guard batch.count == Int(group.numRows) else {
                throw ParquetError(
                    .corrupt,
                    "\(path), row group \(index): column '\(node.name)' has \(batch.count) rows, not \(group.numRows)")
            }
            batches.append(batch)
        }
        return batches
    }

    /// Reads and decodes leaf column `column` of row group `index`.
    private func readColumn(
        _ column: Int, of group: RowGroup, index: Int, keepLevels: Bool, decompressor: PageDecompressor
    ) throws(ParquetError) -> (ColumnBatch, LeafLevels?) {
        let leaf = compiled.leaves[column]
        let field = leaf.field
        let context = "\(path), row group \(index), column '\(leaf.path.joined(separator: "."))'"
        // Checked non-nil in validateRowGroups().
        guard let chunkMetadata = group.columns[column].metaData else {
            throw ParquetError(.corrupt, "\(context): no column metadata")
        }
        var start = Int(chunkMetadata.dataPageOffset)
        if let dictionaryOffset = chunkMetadata.dictionaryPageOffset, dictionaryOffset > 0,
            dictionaryOffset < chunkMetadata.dataPageOffset
        {
            start = Int(dictionaryOffset)
        }
        let length = Int(chunkMetadata.totalCompressedSize)
        guard start >= 4, length >= 0, start <= file.size, length <= file.size - start else {
            throw ParquetError(.corrupt, "\(context): chunk range \(start)+\(length) outside the file")
        }
        let bytes = try file.read(at: start, count: length)
        let reader = ColumnChunkReader(
            physicalType: field.physicalType, maxDefinitionLevel: leaf.maxDefinitionLevel,
            maxRepetitionLevel: leaf.maxRepetitionLevel, codec: chunkMetadata.codec, context: context,
            keepLevels: keepLevels)
        let result = try reader.read(
            chunk: bytes, numValues: Int(chunkMetadata.numValues), decompressor: decompressor)
        guard leaf.maxRepetitionLevel > 0 || result.0.count == Int(group.numRows) else {
            throw ParquetError(.corrupt, "\(context): \(result.0.count) values for \(group.numRows) rows")
        }
        return result
    }

    /// Reads row group `index` row by row, nested columns included.
    /// - Parameter columns: names of top-level columns to read, in the order wanted; `nil` reads all.
    /// - Returns: one array per row with one ``ParquetValue`` per requested column.
    /// - Note: Builds a value per cell, so it is much slower than ``readRowGroup(_:columns:)``; meant for nested
    ///   files of modest size such as Delta Lake checkpoints.
    public func readRows(rowGroup index: Int, columns: [String]? = nil) throws(ParquetError) -> [[ParquetValue]] {
        guard index >= 0 && index < metadata.rowGroups.count else {
            throw ParquetError(.unknownColumn, "\(path): no row group \(index) (the file has \(rowGroupCount))")
        }
        let group = metadata.rowGroups[index]
        var selected: [CompiledNode] = []
        for name in columns ?? compiled.nodes.map(\.name) {
            guard let node = compiled.nodes.first(where: { $0.name == name }) else {
                throw ParquetError(.unknownColumn, "\(path): no column named '\(name)'")
            }
            selected.append(node)
        }
        let wanted = selected.flatMap { Array($0.leaves) }
        // Shared by the workers without a lock, safe as `results` in readRowGroup: one slot per claimed position.
        let loaded = UnsafeMutableBufferPointer<AssemblyLeaf?>.allocate(capacity: wanted.count)
        loaded.initialize(repeating: nil)
        defer {
            loaded.deinitialize()
            loaded.deallocate()
        }
        try workers.forEach(wanted.count) { position, decompressor throws(ParquetError) in
            let column = wanted[position]
            let (batch, levels) = try readColumn(
                column, of: group, index: index, keepLevels: true, decompressor: decompressor)
            loaded[position] = AssemblyLeaf(
                field: compiled.leaves[column].field, batch: batch, levels: levels ?? LeafLevels())
        }
        var leaves = [AssemblyLeaf?](repeating: nil, count: compiled.leaves.count)
        for (position, column) in wanted.enumerated() { leaves[column] = loaded[position] }
        var assembler = Assembler(leaves: leaves, context: "\(path), row group \(index)")
        var rows: [[ParquetValue]] = []
        rows.reserveCapacity(Int(group.numRows))
        for _ in 0..<Int(group.numRows) {
            var row: [ParquetValue] = []
            row.reserveCapacity(selected.count)
            for node in selected { row.append(try assembler.value(of: node)) }
            rows.append(row)
        }
        try assembler.checkConsumed()
        return rows
    }

    /// Checks that every row group has one column chunk per field, stored in this file, of the right type.
    private func validateRowGroups() throws(ParquetError) {
        for (index, group) in metadata.rowGroups.enumerated() {
            guard group.columns.count == compiled.leaves.count else {
                throw ParquetError(
                    .corrupt,
                    "\(path), row group \(index): \(group.columns.count) column chunks for \(compiled.leaves.count) columns"
                )
            }
            guard group.numRows >= 0 else { throw ParquetError(.corrupt, "\(path), row group \(index): negative rows") }
            for (chunk, leaf) in zip(group.columns, compiled.leaves) {
                let field = leaf.field
                let context = "\(path), row group \(index), column '\(leaf.path.joined(separator: "."))'"
                if chunk.filePath != nil {
                    throw ParquetError(.unsupported, "\(context): the column chunk lives in another file")
                }
                guard let chunkMetadata = chunk.metaData else {
                    throw ParquetError(.corrupt, "\(context): no column metadata")
                }
                guard chunkMetadata.type == field.physicalType.thriftValue else {
                    throw ParquetError(.corrupt, "\(context): chunk type differs from the schema")
                }
            }
        }
    }
}
