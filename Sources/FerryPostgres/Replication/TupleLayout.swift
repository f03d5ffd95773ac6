import FerryCore

/// Where each column of one pgoutput TupleData lies in the message: read in place, so that a change's values are
/// parsed straight from libpq's buffer without copying each one out first. Kept and refilled by the decoder, so
/// reading a tuple allocates nothing once the arrays have grown to the table's width.
struct TupleLayout {
    /// `n`, `u`, `t` or `b` per column.
    private(set) var kinds: [UInt8] = []
    /// Offset and length in the message of each `t`/`b` value (0 for the others).
    private(set) var starts: [Int] = []
    private(set) var lengths: [Int] = []

    var count: Int { kinds.count }

    /// Reads a TupleData at the reader's position.
    mutating func read(_ r: inout WireReader) throws(FerryError) {
        kinds.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        let count = Int(Int16(bitPattern: try r.uint16()))
        guard count >= 0, count <= r.remaining else {
            throw ReplicationFrame.malformed("a tuple has \(count) columns")
        }
        for _ in 0..<count {
            let kind = try r.uint8()
            switch kind {
            case UInt8(ascii: "n"), UInt8(ascii: "u"):
                kinds.append(kind)
                starts.append(0)
                lengths.append(0)
            case UInt8(ascii: "t"), UInt8(ascii: "b"):
                let length = Int(try r.int32())
                kinds.append(kind)
                starts.append(r.position)
                lengths.append(length)
                try r.skip(length)
            default:
                throw ReplicationFrame.malformed("a tuple column has kind \(ReplicationFrame.describe(kind))")
            }
        }
    }

    /// The bytes of column `i` (a `t` or `b` value) within `message`.
    func bytes(_ i: Int, in message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: message[starts[i]..<(starts[i] + lengths[i])])
    }

    /// The columns as `PgDatum`s, their values copied out of `message`.
    func datums(in message: UnsafeRawBufferPointer) -> [PgDatum] {
        kinds.indices.map { i in
            switch kinds[i] {
            case UInt8(ascii: "n"): .null
            case UInt8(ascii: "u"): .unchanged
            case UInt8(ascii: "t"): .text(Array(bytes(i, in: message)))
            default: .binary(Array(bytes(i, in: message)))
            }
        }
    }
}
