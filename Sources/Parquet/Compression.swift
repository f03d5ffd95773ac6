import CSnappy
import CZlib
import CZstd

/// The Thrift `CompressionCodec` values the reader understands.
enum CompressionCodec {
    static let uncompressed: Int32 = 0
    static let snappy: Int32 = 1
    static let gzip: Int32 = 2
    static let zstd: Int32 = 6

    static func name(_ value: Int32) -> String {
        switch value {
        case 0: "UNCOMPRESSED"
        case 1: "SNAPPY"
        case 2: "GZIP"
        case 3: "LZO"
        case 4: "BROTLI"
        case 5: "LZ4"
        case 6: "ZSTD"
        case 7: "LZ4_RAW"
        default: "codec \(value)"
        }
    }
}

/// Compresses page bodies with one codec, reusing the codec's context across pages.
///
/// Each page's bytes go to the codec as-is, with no framing (Compression.md): a raw Snappy block, gzip members
/// (RFC 1952), or a zstd frame.
final class PageCompressor {
    let codec: Codec
    private var zstdContext: OpaquePointer?

    init(codec: Codec) {
        self.codec = codec
    }

    deinit {
        if let zstdContext { ZSTD_freeCCtx(zstdContext) }
    }

    /// Appends the compressed form of `input` to `output`.
    func compress(_ input: UnsafeRawBufferPointer, into output: GrowableBuffer) throws(ParquetError) {
        switch codec {
        case .uncompressed:
            output.append(input)
        case .snappy:
            var status = SNAPPY_OK
            output.appendUninitialized(maximum: snappy_max_compressed_length(input.count)) { buffer in
                var length = buffer.count
                status = snappy_compress(
                    input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                    buffer.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                return status == SNAPPY_OK ? length : 0
            }
            guard status == SNAPPY_OK else { throw ParquetError(.compression, "snappy_compress failed: \(status)") }
        case .zstd(let level):
            if zstdContext == nil { zstdContext = ZSTD_createCCtx() }
            guard let context = zstdContext else { throw ParquetError(.compression, "ZSTD_createCCtx failed") }
            var result = 0
            output.appendUninitialized(maximum: ZSTD_compressBound(input.count)) { buffer in
                result = ZSTD_compressCCtx(
                    context, buffer.baseAddress, buffer.count, input.baseAddress, input.count, Int32(level))
                return ZSTD_isError(result) == 0 ? result : 0
            }
            guard ZSTD_isError(result) == 0 else {
                throw ParquetError(.compression, "ZSTD_compress: \(String(cString: ZSTD_getErrorName(result)))")
            }
        case .gzip:
            try Self.gzip(input, into: output)
        }
    }

    private static func gzip(_ input: UnsafeRawBufferPointer, into output: GrowableBuffer) throws(ParquetError) {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip (RFC 1952) wrapper instead of a zlib one.
        let initResult = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        guard initResult == Z_OK else { throw ParquetError(.compression, "deflateInit2 failed: \(initResult)") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        var status = Z_OK
        output.appendUninitialized(maximum: bound) { buffer in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            status = deflate(&stream, Z_FINISH)
            return status == Z_STREAM_END ? buffer.count - Int(stream.avail_out) : 0
        }
        guard status == Z_STREAM_END else { throw ParquetError(.compression, "deflate failed: \(status)") }
    }
}

/// Decompresses page bodies of any codec the reader supports.
final class PageDecompressor {
    private var zstdContext: OpaquePointer?

    init() {}

    deinit {
        if let zstdContext { ZSTD_freeDCtx(zstdContext) }
    }

    /// Replaces `output`'s contents with the `uncompressedSize` bytes that `input` decompresses to.
    func decompress(
        codec: Int32, _ input: UnsafeRawBufferPointer, uncompressedSize: Int, into output: GrowableBuffer,
        context: String
    ) throws(ParquetError) {
        output.removeAll()
        if uncompressedSize == 0 && codec != CompressionCodec.uncompressed { return }
        var failure: String?
        switch codec {
        case CompressionCodec.uncompressed:
            guard input.count == uncompressedSize else {
                throw ParquetError(
                    .corrupt, "\(context): uncompressed page is \(input.count) bytes, header says \(uncompressedSize)")
            }
            output.append(input)
        case CompressionCodec.snappy:
            let source = input.baseAddress?.assumingMemoryBound(to: CChar.self)
            var expected = 0
            guard snappy_uncompressed_length(source, input.count, &expected) == SNAPPY_OK,
                expected == uncompressedSize
            else { throw ParquetError(.corrupt, "\(context): snappy page length mismatch") }
            output.appendUninitialized(maximum: uncompressedSize) { buffer in
                var length = buffer.count
                let status = snappy_uncompress(
                    source, input.count, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                if status != SNAPPY_OK { failure = "snappy_uncompress failed: \(status)" }
                return status == SNAPPY_OK ? length : 0
            }
        case CompressionCodec.zstd:
            if zstdContext == nil { zstdContext = ZSTD_createDCtx() }
            guard let dctx = zstdContext else { throw ParquetError(.compression, "ZSTD_createDCtx failed") }
            output.appendUninitialized(maximum: uncompressedSize) { buffer in
                let result = ZSTD_decompressDCtx(dctx, buffer.baseAddress, buffer.count, input.baseAddress, input.count)
                if ZSTD_isError(result) != 0 {
                    failure = "zstd: \(String(cString: ZSTD_getErrorName(result)))"
                    return 0
                }
                return result
            }
        case CompressionCodec.gzip:
            failure = Self.gunzip(input, uncompressedSize: uncompressedSize, into: output)
        default:
            throw ParquetError(.unsupported, "\(context): compression codec \(CompressionCodec.name(codec))")
        }
        if let failure { throw ParquetError(.corrupt, "\(context): \(failure)") }
        guard output.count == uncompressedSize else {
            throw ParquetError(
                .corrupt,
                "\(context): page decompressed to \(output.count) bytes, the header says \(uncompressedSize)")
        }
    }

    /// Inflates one or more concatenated gzip (or zlib) members. Returns a failure description, or `nil`.
    private static func gunzip(
        _ input: UnsafeRawBufferPointer, uncompressedSize: Int, into output: GrowableBuffer
    ) -> String? {
        var stream = z_stream()
        // 15 + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return "inflateInit2 failed"
        }
        defer { inflateEnd(&stream) }
        var failure: String?
        output.appendUninitialized(maximum: uncompressedSize) { buffer in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            while true {
                let status = inflate(&stream, Z_NO_FLUSH)
                if status == Z_STREAM_END {
                    // Another member may follow.
                    if stream.avail_in > 0 && stream.avail_out > 0 {
                        inflateReset(&stream)
                        continue
                    }
                    break
                }
                if status != Z_OK {
                    failure = "inflate returned \(status)"
                    break
                }
                if stream.avail_in == 0 { break }
                if stream.avail_out == 0 {
                    failure = "gzip data larger than the page header says"
                    break
                }
            }
            return buffer.count - Int(stream.avail_out)
        }
        return failure
    }
}

/// CRC-32 (the zlib / gzip polynomial) of a page body as stored, for `PageHeader.crc`.
func pageChecksum(_ bytes: UnsafeRawBufferPointer) -> Int32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
    let value = crc32(0, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
    return Int32(bitPattern: UInt32(truncatingIfNeeded: value))
}
