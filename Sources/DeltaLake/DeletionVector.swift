/// The rows of one data file that are logically deleted: 0-based positions of rows in the Parquet file.
///
/// Delta stores a deletion vector as a 64-bit Roaring bitmap (PROTOCOL.md, "Deletion Vector Format"); in memory it
/// is a plain bitset instead, because the one hot operation is `contains`, once per scanned row, and a bitset answers
/// it with a shift and a mask. One bit per row of the file costs 1 MiB per 8 million rows.
///
/// Rows from 2^28 on (more than any real Parquet file holds) are kept apart, in 65 536-row chunks, so that a tiny
/// corrupt or hostile vector naming a huge row index cannot make us allocate gigabytes of zero words. Row indexes
/// of 2^40 or more are refused when decoding, as corrupt.
///
/// ```swift
/// var deleted = DeletionVector(rows: [3, 7])
/// deleted.insert(9)
/// let descriptor = try DeletionVectorStorage.write([deleted], to: store)[0]
/// let again = try DeletionVectorStorage.read(descriptor, from: store)  // == deleted
/// ```
public struct DeletionVector: Sendable, Hashable {
    /// Bit `row % 64` of `words[row / 64]` is set when `row` is deleted, for rows below `denseRowLimit`. Never ends
    /// with a zero word, so that equal sets have equal storage (and the synthesized `==` is right).
    @usableFromInline internal private(set) var words: [UInt64] = []
    /// Rows from `denseRowLimit` on, by Roaring container key (`row >> 16`), each a 1024-word bitset with at least
    /// one bit set.
    @usableFromInline internal private(set) var highChunks: [Int: [UInt64]] = [:]
    /// How many rows are deleted.
    public private(set) var cardinality = 0

    /// Rows below this live in `words`, which therefore never exceeds 32 MiB.
    @usableFromInline static let denseRowLimit = 1 << 28
    /// Row indexes must be below this (about a trillion rows).
    public static let rowLimit = 1 << 40
    /// The `RoaringBitmapArray` magic number of the portable format, first in every serialized vector.
    static let magic: UInt32 = 1_681_511_377
    /// Roaring's 32-bit cookies: without run containers (a container count follows), and with them (the count minus
    /// one is in the upper 16 bits of the cookie itself).
    static let cookieNoRuns: UInt32 = 12346
    static let cookieWithRuns: UInt32 = 12347
    /// Array containers hold at most this many values; larger containers are 1024-word bitsets.
    static let arrayLimit = 4096
    static let chunkWords = 1024

    /// An empty vector: no row is deleted.
    public init() {}

    /// A vector deleting `rows`, in any order, duplicates allowed.
    public init(rows: some Sequence<Int>) {
        for row in rows { insert(row) }
    }

    /// Whether no row is deleted.
    public var isEmpty: Bool { cardinality == 0 }

    /// Whether `row` is deleted. Called for every row of a scanned file, so it is a bounds check and a bit test.
    @inlinable
    public func contains(_ row: Int) -> Bool {
        let index = row &>> 6
        if row >= 0 && index < words.count {
            return words[index] & (1 &<< UInt64(row & 63)) != 0
        }
        return row >= Self.denseRowLimit && !highChunks.isEmpty && highContains(row)
    }

    @usableFromInline
    func highContains(_ row: Int) -> Bool {
        guard let chunk = highChunks[row >> 16] else { return false }
        let bit = row & 0xFFFF
        return chunk[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    /// Marks `row` deleted.
    ///
    /// - Precondition: `0 <= row < DeletionVector.rowLimit`.
    public mutating func insert(_ row: Int) {
        precondition(row >= 0 && row < Self.rowLimit, "deletion vector row index \(row) out of range")
        if row < Self.denseRowLimit {
            let index = row >> 6
            if index >= words.count {
                words.append(contentsOf: repeatElement(0, count: index + 1 - words.count))
            }
            let bit: UInt64 = 1 << UInt64(row & 63)
            guard words[index] & bit == 0 else { return }
            words[index] |= bit
        } else {
            guard !highContains(row) else { return }
            let bit = row & 0xFFFF
            highChunks[row >> 16, default: Self.emptyChunk][bit >> 6] |= 1 << UInt64(bit & 63)
        }
        cardinality += 1
    }

    /// Adds the rows of `other`, as when a new delete hits a file that already has a deletion vector.
    public mutating func formUnion(_ other: DeletionVector) {
        if other.words.count > words.count {
            words.append(contentsOf: repeatElement(0, count: other.words.count - words.count))
        }
        for (i, word) in other.words.enumerated() { words[i] |= word }
        for (key, chunk) in other.highChunks { insert(chunk: chunk[...], key: key) }
        recount()
    }

    /// The deleted rows, ascending.
    public var rows: [Int] {
        var out: [Int] = []
        out.reserveCapacity(cardinality)
        Self.forEachBit(of: words[...], base: 0) { out.append($0) }
        for (key, chunk) in highChunks.sorted(by: { $0.key < $1.key }) {
            Self.forEachBit(of: chunk[...], base: key << 16) { out.append($0) }
        }
        return out
    }

    static var emptyChunk: [UInt64] { Array(repeating: 0, count: chunkWords) }

    /// ORs a container's 1024 words (`key` = row >> 16) into the vector; does not update `cardinality`.
    private mutating func insert(chunk: ArraySlice<UInt64>, key: Int) {
        guard let last = chunk.lastIndex(where: { $0 != 0 }) else { return }
        if key < Self.denseRowLimit >> 16 {
            let base = key * Self.chunkWords - chunk.startIndex
            if base + last >= words.count {
                words.append(contentsOf: repeatElement(0, count: base + last + 1 - words.count))
            }
            for i in chunk.startIndex...last { words[base + i] |= chunk[i] }
        } else {
            var merged = highChunks[key] ?? Self.emptyChunk
            for (i, word) in zip(merged.indices, chunk) { merged[i] |= word }
            highChunks[key] = merged
        }
    }

    private mutating func recount() {
        cardinality = Self.popcount(words[...]) + highChunks.values.reduce(0) { $0 + Self.popcount($1[...]) }
    }

    static func popcount(_ words: ArraySlice<UInt64>) -> Int {
        words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// Calls `body` with `base + i` for every set bit `i` of `words`, ascending.
    static func forEachBit(of words: ArraySlice<UInt64>, base: Int, _ body: (Int) -> Void) {
        for (i, word) in zip(0..., words) {
            var w = word
            while w != 0 {
                body(base + i * 64 + w.trailingZeroBitCount)
                w &= w - 1
            }
        }
    }
}

// MARK: - Serialization

extension DeletionVector {
    /// The words of one Roaring container (up to 1024; missing ones are zero) and its key, `row >> 16`.
    private typealias ContainerWords = (key: Int, words: ArraySlice<UInt64>)

    /// The `RoaringBitmapArray` bytes Delta stores, inline or in a file: the magic number, then the portable 64-bit
    /// Roaring format (a bucket count, then per 2^32-row bucket its key and a portable 32-bit Roaring bitmap).
    ///
    /// Containers are written as arrays, bitsets or runs, whichever is smallest, as Roaring's `runOptimize` does.
    public func serialized() -> [UInt8] {
        var containers: [ContainerWords] = []
        for start in stride(from: 0, to: words.count, by: Self.chunkWords) {
            let chunk = words[start..<min(start + Self.chunkWords, words.count)]
            if chunk.contains(where: { $0 != 0 }) { containers.append((start / Self.chunkWords, chunk)) }
        }
        for (key, chunk) in highChunks.sorted(by: { $0.key < $1.key }) { containers.append((key, chunk[...])) }

        // Containers of the same 2^32-row bucket: `key >> 16` is the bucket key.
        var buckets: [ArraySlice<ContainerWords>] = []
        var first = 0
        while first < containers.count {
            let bucket = containers[first].key >> 16
            let end = containers[first...].firstIndex { $0.key >> 16 != bucket } ?? containers.count
            buckets.append(containers[first..<end])
            first = end
        }

        var out: [UInt8] = []
        out.append(littleEndian: Self.magic)
        out.append(littleEndian: UInt64(buckets.count))
        for bucket in buckets {
            out.append(littleEndian: UInt32(bucket[bucket.startIndex].key >> 16))
            Self.appendBitmap32(bucket, to: &out)
        }
        return out
    }

    /// Appends one portable 32-bit Roaring bitmap (RoaringFormatSpec) holding `containers`, ascending by key.
    private static func appendBitmap32(
        _ containers: ArraySlice<ContainerWords>, to out: inout [UInt8]
    ) {
        let encoded = containers.map { encodeContainer($0.words) }
        let count = encoded.count
        let hasRuns = encoded.contains { $0.isRun }
        let start = out.count
        if hasRuns {
            out.append(littleEndian: cookieWithRuns | UInt32(count - 1) << 16)
            var flags = [UInt8](repeating: 0, count: (count + 7) / 8)
            for (i, container) in encoded.enumerated() where container.isRun { flags[i >> 3] |= 1 << (i & 7) }
            out.append(contentsOf: flags)
        } else {
            out.append(littleEndian: cookieNoRuns)
            out.append(littleEndian: UInt32(count))
        }
        for (container, encoded) in zip(containers, encoded) {
            out.append(littleEndian: UInt16(container.key & 0xFFFF))
            out.append(littleEndian: UInt16(encoded.cardinality - 1))
        }
        // The offset header: always without run containers, and with them from four containers on.
        if !hasRuns || count >= 4 {
            var offset = out.count - start + 4 * count
            for container in encoded {
                out.append(littleEndian: UInt32(offset))
                offset += container.bytes.count
            }
        }
        for container in encoded { out.append(contentsOf: container.bytes) }
    }

    private struct EncodedContainer {
        var cardinality: Int
        var isRun: Bool
        var bytes: [UInt8]
    }

    /// Encodes up to 1024 words (missing words are zero) as the smallest of an array, a bitset or a run container.
    private static func encodeContainer(_ words: ArraySlice<UInt64>) -> EncodedContainer {
        var cardinality = 0
        var runs = 0
        var carry: UInt64 = 0
        for word in words {
            cardinality += word.nonzeroBitCount
            runs += (word & ~(word << 1 | carry)).nonzeroBitCount  // bits that start a run
            carry = word >> 63
        }
        var bytes: [UInt8] = []
        let plainSize = cardinality <= arrayLimit ? 2 * cardinality : 8 * chunkWords
        if 2 + 4 * runs < plainSize {
            bytes.reserveCapacity(2 + 4 * runs)
            bytes.append(littleEndian: UInt16(runs))
            var runStart = -1
            var previous = -2
            forEachBit(of: words, base: 0) { value in
                if value != previous + 1 {
                    if runStart >= 0 { bytes.appendRun(from: runStart, through: previous) }
                    runStart = value
                }
                previous = value
            }
            bytes.appendRun(from: runStart, through: previous)
            return EncodedContainer(cardinality: cardinality, isRun: true, bytes: bytes)
        }
        bytes.reserveCapacity(plainSize)
        if cardinality <= arrayLimit {
            forEachBit(of: words, base: 0) { bytes.append(littleEndian: UInt16($0)) }
        } else {
            for word in words { bytes.append(littleEndian: word) }
            bytes.append(contentsOf: repeatElement(0, count: 8 * (chunkWords - words.count)))
        }
        return EncodedContainer(cardinality: cardinality, isRun: false, bytes: bytes)
    }
}

// MARK: - Deserialization

extension DeletionVector {
    /// Decodes the `RoaringBitmapArray` bytes of `serialized()` or of any Delta writer: the portable format, with
    /// array, bitset and run containers, with or without the run cookie.
    ///
    /// - Throws: `DeltaError` `.corruptLog` when the magic number is wrong, the bytes end early or go on after the
    ///   last bucket, keys are not ascending, a container's contents disagree with its cardinality, or a row index
    ///   is 2^40 or more.
    public init(serialized bytes: [UInt8]) throws(DeltaError) {
        var reader = ByteReader(bytes: bytes)
        let magic = try reader.read(UInt32.self)
        guard magic == Self.magic else {
            throw reader.corrupt("magic number \(magic), expected \(Self.magic)", at: 0)
        }
        let bucketCount = try reader.read(UInt64.self)
        var previousKey = -1
        for _ in 0..<bucketCount {
            let keyOffset = reader.position
            let key = Int(try reader.read(UInt32.self))
            guard key > previousKey else {
                throw reader.corrupt("bucket key \(key) is not above the previous \(previousKey)", at: keyOffset)
            }
            guard key < Self.rowLimit >> 32 else {
                throw reader.corrupt("bucket key \(key) means row indexes of 2^40 or more", at: keyOffset)
            }
            previousKey = key
            try readBitmap32(&reader, bucket: key)
        }
        guard reader.position == bytes.count else {
            throw reader.corrupt("\(bytes.count - reader.position) bytes after the last bucket", at: reader.position)
        }
        recount()
    }

    /// Reads one portable 32-bit Roaring bitmap, the low 32 bits of the rows of `bucket`.
    private mutating func readBitmap32(_ reader: inout ByteReader, bucket: Int) throws(DeltaError) {
        let start = reader.position
        let cookie = try reader.read(UInt32.self)
        let count: Int
        var runFlags: [UInt8]? = nil
        if cookie & 0xFFFF == Self.cookieWithRuns {
            count = Int(cookie >> 16) + 1
            runFlags = try reader.bytes((count + 7) / 8)
        } else if cookie == Self.cookieNoRuns {
            count = Int(try reader.read(UInt32.self))
            guard count <= 1 << 16 else { throw reader.corrupt("\(count) containers in one bitmap", at: start) }
        } else {
            throw reader.corrupt("unknown Roaring cookie \(cookie)", at: start)
        }
        let header = try reader.bytes(4 * count)
        if runFlags == nil || count >= 4 { _ = try reader.bytes(4 * count) }  // offsets: we read sequentially
        var previousKey = -1
        for i in 0..<count {
            let key = Int(header[4 * i]) | Int(header[4 * i + 1]) << 8
            let cardinality = (Int(header[4 * i + 2]) | Int(header[4 * i + 3]) << 8) + 1
            guard key > previousKey else {
                throw reader.corrupt("container key \(key) is not above the previous \(previousKey)", at: start)
            }
            previousKey = key
            let dataOffset = reader.position
            var chunk = Self.emptyChunk
            if let runFlags, runFlags[i >> 3] & (1 << (i & 7)) != 0 {
                try Self.readRuns(&reader, into: &chunk)
            } else if cardinality <= Self.arrayLimit {
                var previous = -1
                for _ in 0..<cardinality {
                    let value = Int(try reader.read(UInt16.self))
                    guard value > previous else {
                        throw reader.corrupt("array container values are not ascending", at: dataOffset)
                    }
                    chunk[value >> 6] |= 1 << UInt64(value & 63)
                    previous = value
                }
            } else {
                for w in chunk.indices { chunk[w] = try reader.read(UInt64.self) }
            }
            let actual = Self.popcount(chunk[...])
            guard actual == cardinality else {
                throw reader.corrupt(
                    "container \(key) holds \(actual) values but its header says \(cardinality)", at: dataOffset)
            }
            insert(chunk: chunk[...], key: bucket << 16 | key)
        }
    }

    /// Reads a run container: a run count, then (start, length - 1) pairs, ascending and not overlapping.
    private static func readRuns(_ reader: inout ByteReader, into chunk: inout [UInt64]) throws(DeltaError) {
        let offset = reader.position
        let runs = Int(try reader.read(UInt16.self))
        var previousEnd = -1
        for _ in 0..<runs {
            let start = Int(try reader.read(UInt16.self))
            let end = start + Int(try reader.read(UInt16.self))
            guard start > previousEnd, end <= 0xFFFF else {
                throw reader.corrupt("run \(start)...\(end) overlaps or leaves the container", at: offset)
            }
            previousEnd = end
            var value = start
            while value <= end {
                let bit = value & 63
                let n = min(64 - bit, end - value + 1)
                chunk[value >> 6] |= (n == 64 ? ~0 : (1 << UInt64(n)) - 1) << UInt64(bit)
                value += n
            }
        }
    }
}

/// Little-endian reads over a byte array that throw, rather than trap, when the bytes run out.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(DeltaError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - position >= size else {
            throw corrupt("ends inside a \(size)-byte field", at: position)
        }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += size
        return T(littleEndian: value)
    }

    mutating func bytes(_ count: Int) throws(DeltaError) -> [UInt8] {
        guard bytes.count - position >= count else {
            throw corrupt("ends inside a \(count)-byte header", at: position)
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    func corrupt(_ what: String, at offset: Int) -> DeltaError {
        DeltaError(.corruptLog, "deletion vector of \(bytes.count) bytes: \(what) (at byte \(offset))")
    }
}

extension [UInt8] {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func append<T: FixedWidthInteger>(bigEndian value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// Appends one run of a run container: its start and its length minus one.
    fileprivate mutating func appendRun(from start: Int, through end: Int) {
        append(littleEndian: UInt16(start))
        append(littleEndian: UInt16(end - start))
    }
}
