/// Hashes a byte string: 8 bytes at a time, multiply-xorshift mixing. Fast for the short strings typical of
/// database columns; quality only needs to be good enough for an open-addressing table.
@inline(__always)
func hashBytes(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
    var offset = 0
    let count = bytes.count
    while offset + 8 <= count {
        let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        hash ^= hash >> 29
        offset += 8
    }
    if offset < count {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            word |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
    }
    hash ^= hash >> 32
    hash = hash &* 0xD6E8_FEB8_6659_FD93
    return hash ^ (hash >> 32)
}

/// Mixes a fixed-width value's bits into a table index.
@inline(__always)
func hashBits(_ bits: UInt64) -> UInt64 {
    var hash = bits &* 0x9E37_79B9_7F4A_7C15
    hash ^= hash >> 31
    return hash
}

/// The distinct values of an INT32/INT64/FLOAT/DOUBLE column chunk, in first-seen order, for RLE_DICTIONARY.
///
/// Open addressing with linear probing over bit patterns, so equal floats with different bits (0.0 and -0.0,
/// NaN payloads) stay distinct and round-trip exactly.
struct FixedWidthDictionary<T: FixedWidthValue> {
    private(set) var values: [T] = []
    private var slots: [Int32]
    private var mask: Int

    init() {
        slots = [Int32](repeating: -1, count: 1024)
        mask = 1023
    }

    var count: Int { values.count }
    /// Size of the PLAIN-encoded dictionary page.
    var plainSize: Int { values.count * MemoryLayout<T>.size }

    /// The index of `value`, inserting it if new. Returns `nil` (and inserts nothing) when a new value would make
    /// the PLAIN-encoded dictionary larger than `limit` bytes.
    @inline(__always)
    mutating func index(of value: T, limit: Int) -> Int32? {
        let bits = value.storageBits
        var slot = Int(truncatingIfNeeded: hashBits(UInt64(bits))) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { break }
            if values[Int(entry)].storageBits == bits { return entry }
            slot = (slot + 1) & mask
        }
        guard plainSize + MemoryLayout<T>.size <= limit else { return nil }
        let index = Int32(values.count)
        values.append(value)
        slots[slot] = index
        if values.count * 2 > slots.count { grow() }
        return index
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (index, value) in values.enumerated() {
            var slot = Int(truncatingIfNeeded: hashBits(UInt64(value.storageBits))) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// The dictionary page body: the values PLAIN-encoded.
    func plainEncoded() -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }
}

/// The distinct values of a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY column chunk, packed into one buffer.
struct ByteArrayDictionary {
    private(set) var data: [UInt8] = []
    /// Entry `i` is `data[offsets[i] ..< offsets[i + 1]]`.
    private(set) var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int
    /// BYTE_ARRAY entries carry a 4-byte length in the dictionary page; FIXED_LEN_BYTE_ARRAY ones don't.
    let lengthPrefixed: Bool

    init(lengthPrefixed: Bool) {
        self.lengthPrefixed = lengthPrefixed
        slots = [Int32](repeating: -1, count: 1024)
        mask = 1023
    }

    var count: Int { offsets.count - 1 }
    /// Size of the PLAIN-encoded dictionary page.
    var plainSize: Int { data.count + (lengthPrefixed ? 4 * count : 0) }

    /// The index of `value`, inserting it if new. Returns `nil` (and inserts nothing) when a new value would make
    /// the PLAIN-encoded dictionary larger than `limit` bytes.
    @inline(__always)
    mutating func index(of value: UnsafeRawBufferPointer, limit: Int) -> Int32? {
        let hash = hashBytes(value)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { break }
            if hashes[Int(entry)] == hash && equals(Int(entry), value) { return entry }
            slot = (slot + 1) & mask
        }
        guard plainSize + value.count + (lengthPrefixed ? 4 : 0) <= limit else { return nil }
        let index = Int32(count)
        data.append(contentsOf: value)
        offsets.append(data.count)
        hashes.append(hash)
        slots[slot] = index
        if count * 2 > slots.count { grow() }
        return index
    }

    @inline(__always)
    private func equals(_ entry: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        let start = offsets[entry]
        let length = offsets[entry + 1] - start
        guard length == value.count else { return false }
        guard length > 0 else { return true }
        return data.withUnsafeBytes { stored in
            guard let lhs = stored.baseAddress.map({ $0 + start }), let rhs = value.baseAddress else { return false }
            // Short strings: compare the first and last eight bytes (they overlap below 16) without a call.
            if length >= 8 && length <= 16 {
                return lhs.loadUnaligned(as: UInt64.self) == rhs.loadUnaligned(as: UInt64.self)
                    && lhs.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
                        == rhs.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            }
            return memcmpBytes(lhs, rhs, length) == 0
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (index, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// Min and max of the entries from `start` on (the ones added by the last run), for statistics.
    func minMax(from start: Int, signed: Bool) -> ([UInt8], [UInt8])? {
        guard start < count else { return nil }
        return data.withUnsafeBytes { raw in
            func entry(_ index: Int) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: raw[offsets[index]..<offsets[index + 1]])
            }
            var low = start
            var high = start
            for index in (start + 1)..<count {
                let value = entry(index)
                if bytesLess(value, entry(low), signed: signed) {
                    low = index
                } else if bytesLess(entry(high), value, signed: signed) {
                    high = index
                }
            }
            return (Array(entry(low)), Array(entry(high)))
        }
    }

    /// The dictionary page body: the values PLAIN-encoded.
    func plainEncoded() -> [UInt8] {
        guard lengthPrefixed else { return data }
        let output = GrowableBuffer(capacity: plainSize)
        data.withUnsafeBytes { raw in
            for index in 0..<count {
                PlainEncoder.appendByteArray(
                    UnsafeRawBufferPointer(rebasing: raw[offsets[index]..<offsets[index + 1]]), to: output)
            }
        }
        return output.toArray()
    }
}

/// The values section of an RLE_DICTIONARY data page: one byte of bit width, then the indices in the RLE /
/// bit-packed hybrid without a length prefix.
func encodeDictionaryIndices(_ indices: [UInt32], dictionaryCount: Int) -> [UInt8] {
    let width = bitWidth(of: UInt64(max(dictionaryCount - 1, 0)))
    var encoder = RLEHybridEncoder(bitWidth: width, capacity: indices.count * width / 8 + 16)
    for index in indices { encoder.put(index) }
    var body: [UInt8] = [UInt8(width)]
    encoder.finish(into: &body)
    return body
}
