/// Variable-length values (text, bytes, uuids, json, unconstrained numerics) packed into one contiguous buffer.
///
/// One allocation per column per batch instead of one per value: the reader copies wire bytes straight in and the
/// writer hands slices straight out.
public struct BinaryArray: Sendable, Hashable {
    /// `offsets[i] ..< offsets[i + 1]` is the value at `i`; `offsets.count == count + 1`.
    public private(set) var offsets: [Int]
    public private(set) var data: [UInt8]

    public init(capacity: Int = 0, byteCapacity: Int = 0) {
        offsets = [0]
        offsets.reserveCapacity(capacity + 1)
        data = []
        data.reserveCapacity(byteCapacity)
    }

    /// Adopts already packed buffers (a Parquet BYTE_ARRAY column, say) as they are, without copying value by value.
    public init(offsets: [Int], data: [UInt8]) {
        precondition(offsets.first == 0 && offsets.last == data.count, "offsets must span data from 0")
        self.offsets = offsets
        self.data = data
    }

    public var count: Int { offsets.count - 1 }

    /// The values in `runs` (ascending, non-overlapping row ranges), copied one run at a time.
    public func gathering(_ runs: [Range<Int>], rows: Int) -> BinaryArray {
        var bytes = 0
        for run in runs { bytes += offsets[run.upperBound] - offsets[run.lowerBound] }
        var out = BinaryArray(capacity: rows, byteCapacity: bytes)
        for run in runs {
            let shift = out.data.count - offsets[run.lowerBound]
            out.data.append(contentsOf: data[offsets[run.lowerBound]..<offsets[run.upperBound]])
            out.offsets.append(contentsOf: offsets[(run.lowerBound + 1)...run.upperBound].lazy.map { $0 + shift })
        }
        return out
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        data.append(contentsOf: bytes)
        offsets.append(data.count)
    }

    public mutating func append(_ raw: UnsafeRawBufferPointer) {
        data.append(contentsOf: raw)
        offsets.append(data.count)
    }

    public mutating func append(string: String) {
        var s = string
        s.withUTF8 { data.append(contentsOf: $0) }
        offsets.append(data.count)
    }

    /// Drops the values from `count` on.
    mutating func truncate(to count: Int) {
        guard count < self.count else { return }
        offsets.removeLast(offsets.count - 1 - count)
        data.removeLast(data.count - offsets[count])
    }

    public mutating func appendEmpty() {
        offsets.append(data.count)
    }

    public subscript(i: Int) -> ArraySlice<UInt8> {
        data[offsets[i]..<offsets[i + 1]]
    }

    public func string(at i: Int) -> String {
        String(decoding: self[i], as: UTF8.self)
    }
}
