extension ColumnValues {
    /// The values at `slots`, in that order, with a zero placeholder where a slot is `-1`: how nested leaves are
    /// cut out of (and put back into) one contiguous array per column.
    ///
    /// Only primitive values are gathered; nested values come back empty (callers gather their leaves).
    func gathering(_ slots: [Int]) -> ColumnValues {
        switch self {
        case .boolean(let a): return .boolean(slots.map { $0 >= 0 ? a[$0] : false })
        case .int32(let a): return .int32(slots.map { $0 >= 0 ? a[$0] : 0 })
        case .int64(let a): return .int64(slots.map { $0 >= 0 ? a[$0] : 0 })
        case .float(let a): return .float(slots.map { $0 >= 0 ? a[$0] : 0 })
        case .double(let a): return .double(slots.map { $0 >= 0 ? a[$0] : 0 })
        case .byteArray(let offsets, let data):
            var outOffsets = [Int](repeating: 0, count: slots.count + 1)
            var bytes = 0
            for (e, slot) in slots.enumerated() {
                if slot >= 0 { bytes += offsets[slot + 1] - offsets[slot] }
                outOffsets[e + 1] = bytes
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes)
            for slot in slots where slot >= 0 { out.append(contentsOf: data[offsets[slot]..<offsets[slot + 1]]) }
            return .byteArray(offsets: outOffsets, data: out)
        case .fixedLen(let width, let data):
            var out: [UInt8] = []
            out.reserveCapacity(slots.count * width)
            for slot in slots {
                if slot >= 0 {
                    out.append(contentsOf: data[(slot * width)..<((slot + 1) * width)])
                } else {
                    out.append(contentsOf: repeatElement(0, count: width))
                }
            }
            return .fixedLen(width: width, data: out)
        case .list, .structure:
            return .int32([])
        }
    }
}
