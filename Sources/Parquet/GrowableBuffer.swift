/// A growable byte buffer for the hot paths: page bodies, compression output, decoded byte arrays.
///
/// Unlike `[UInt8]` it can hand out uninitialised space (so codecs write straight into it without zero-filling
/// first) and it keeps its capacity across pages, so large buffers are not reallocated (and page-faulted in)
/// for every page.
final class GrowableBuffer {
    // Appends happen per value in hot loops; the buffer is never shared across threads or accessed reentrantly,
    // so the dynamic exclusivity checks on these fields are skipped.
    @exclusivity(unchecked) private var storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private(set) var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// The bytes written so far. Valid until the next mutation.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// Makes room for `additional` more bytes.
    @inline(__always)
    func reserve(_ additional: Int) {
        if count + additional > capacity { grow(to: count + additional) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        storage.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (storage + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends the memory image of `value` (little-endian on every supported host).
    @inline(__always)
    func append<T: FixedWidthInteger>(littleEndian value: T) {
        reserve(MemoryLayout<T>.size)
        storage.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    /// Appends `length` zero bytes.
    func appendZeros(_ length: Int) {
        reserve(length)
        (storage + count).initializeMemory(as: UInt8.self, repeating: 0, count: length)
        count += length
    }

    /// Lets `body` write up to `maximum` bytes at the end; it returns how many it wrote.
    @inline(__always)
    func appendUninitialized<E: Error>(
        maximum: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) {
        reserve(maximum)
        let written = try body(UnsafeMutableRawBufferPointer(start: storage + count, count: maximum))
        count += min(max(written, 0), maximum)
    }

    /// Overwrites 4 bytes at `offset` with `value`, little-endian (for length prefixes written after the fact).
    func setUInt32(_ value: UInt32, at offset: Int) {
        storage.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Empties the buffer, keeping its capacity.
    func removeAll() {
        count = 0
    }

    /// A copy of the contents as an array.
    func toArray() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress, count > 0 {
                UnsafeMutableRawPointer(base).copyMemory(from: storage, byteCount: count)
            }
            initialized = count
        }
    }
}
