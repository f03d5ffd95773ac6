/// Encodes one column of the open row group. One implementation per physical type family, so each hot loop is
/// specialised for its value type.
protocol ColumnWriter: AnyObject {
    /// Encodes rows `rows` of `batch` (already checked against the schema), compressing closed pages with
    /// `compressor` (the calling worker thread's).
    func append(
        _ batch: ColumnBatch, rows: Range<Int>, levels: LeafLevels?, compressor: PageCompressor
    ) throws(ParquetError)
    /// Encoded bytes held for the open row group (closed pages, open page, dictionary).
    var bufferedBytes: Int { get }
    /// Closes the last page and hands out the column chunk; the writer is then ready for the next row group.
    func finishChunk(compressor: PageCompressor) throws(ParquetError) -> EncodedChunk
}

/// Makes the writer for `leaf`.
func makeColumnWriter(leaf: LeafColumn, options: WriterOptions, path: String) -> any ColumnWriter {
    let field = leaf.field
    let builder = ColumnChunkBuilder(
        leaf: leaf, context: "\(path), column '\(leaf.path.joined(separator: "."))'", checksums: options.pageChecksums)
    let order = StatOrder(field)
    var options = options
    // A dictionary that fills up would end a page mid-row; repeated leaves stay PLAIN.
    if leaf.maxRepetitionLevel > 0 { options.dictionary = false }
    switch field.physicalType {
    case .boolean: return BooleanColumnWriter(builder: builder, options: options)
    case .int32: return Int32ColumnWriter(FixedWidthEncoder(builder: builder, options: options, order: order))
    case .int64: return Int64ColumnWriter(FixedWidthEncoder(builder: builder, options: options, order: order))
    case .float: return FloatColumnWriter(FixedWidthEncoder(builder: builder, options: options, order: order))
    case .double: return DoubleColumnWriter(FixedWidthEncoder(builder: builder, options: options, order: order))
    case .byteArray: return ByteArrayColumnWriter(builder: builder, options: options, order: order, width: nil)
    case .fixedLenByteArray(let width):
        return ByteArrayColumnWriter(builder: builder, options: options, order: order, width: width)
    }
}

/// Values of a numeric column that the writer can scan for min/max.
protocol ColumnValue: FixedWidthValue {
    /// The values of this type in `values`, or `nil` if `values` holds another type.
    static func extract(_ values: ColumnValues) -> [Self]?
    /// Min and max of the valid rows in `range`, under `order`.
    static func minMax(
        _ values: UnsafeBufferPointer<Self>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>, order: StatOrder
    ) -> (StatValue, StatValue)?
}

extension Int32: ColumnValue {
    static func extract(_ values: ColumnValues) -> [Int32]? {
        if case .int32(let array) = values { return array }
        return nil
    }

    static func minMax(
        _ values: UnsafeBufferPointer<Int32>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>, order: StatOrder
    ) -> (StatValue, StatValue)? {
        if order == .unsigned {
            // The same bits compared as unsigned. Rebinding is scoped to the closure, and Int32 and UInt32 are
            // related types (same size and alignment), so the memory the caller owns is read, never retyped.
            return values.withMemoryRebound(to: UInt32.self) { unsigned in
                MinMax.integers(unsigned, validity: validity, range: range).map {
                    (.int32(Int32(bitPattern: $0.0)), .int32(Int32(bitPattern: $0.1)))
                }
            }
        }
        return MinMax.integers(values, validity: validity, range: range).map { (.int32($0.0), .int32($0.1)) }
    }
}

extension Int64: ColumnValue {
    static func extract(_ values: ColumnValues) -> [Int64]? {
        if case .int64(let array) = values { return array }
        return nil
    }

    static func minMax(
        _ values: UnsafeBufferPointer<Int64>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>, order: StatOrder
    ) -> (StatValue, StatValue)? {
        if order == .unsigned {
            // The same bits compared as unsigned. Rebinding is scoped to the closure, and Int64 and UInt64 are
            // related types (same size and alignment), so the memory the caller owns is read, never retyped.
            return values.withMemoryRebound(to: UInt64.self) { unsigned in
                MinMax.integers(unsigned, validity: validity, range: range).map {
                    (.int64(Int64(bitPattern: $0.0)), .int64(Int64(bitPattern: $0.1)))
                }
            }
        }
        return MinMax.integers(values, validity: validity, range: range).map { (.int64($0.0), .int64($0.1)) }
    }
}

extension Float: ColumnValue {
    static func extract(_ values: ColumnValues) -> [Float]? {
        if case .float(let array) = values { return array }
        return nil
    }

    static func minMax(
        _ values: UnsafeBufferPointer<Float>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>, order: StatOrder
    ) -> (StatValue, StatValue)? {
        MinMax.floats(values, validity: validity, range: range).map { (.float($0.0), .float($0.1)) }
    }
}

extension Double: ColumnValue {
    static func extract(_ values: ColumnValues) -> [Double]? {
        if case .double(let array) = values { return array }
        return nil
    }

    static func minMax(
        _ values: UnsafeBufferPointer<Double>, validity: UnsafeBufferPointer<Bool>?, range: Range<Int>,
        order: StatOrder
    ) -> (StatValue, StatValue)? {
        MinMax.floats(values, validity: validity, range: range).map { (.double($0.0), .double($0.1)) }
    }
}
