import FerryCore

/// Reads big-endian fields of one replication message in order, failing (instead of trapping) on a message that
/// is shorter than its fields say.
struct WireReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var remaining: Int { buffer.count - position }

    private mutating func need(_ n: Int) throws(FerryError) {
        guard n >= 0, remaining >= n else { throw ReplicationFrame.malformed("a message ends early") }
    }

    mutating func uint8() throws(FerryError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return buffer[position]
    }

    mutating func uint16() throws(FerryError) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return buffer.be16(position)
    }

    mutating func uint32() throws(FerryError) -> UInt32 {
        try need(4)
        defer { position += 4 }
        return buffer.be32(position)
    }

    mutating func int32() throws(FerryError) -> Int32 { Int32(bitPattern: try uint32()) }

    mutating func uint64() throws(FerryError) -> UInt64 {
        try need(8)
        defer { position += 8 }
        return buffer.be64(position)
    }

    mutating func int64() throws(FerryError) -> Int64 { Int64(bitPattern: try uint64()) }

    mutating func lsn() throws(FerryError) -> LSN { LSN(rawValue: try uint64()) }

    /// A timestamp in µs since 2000-01-01 (the PostgreSQL epoch), returned in µs since 1970-01-01.
    mutating func pgTimestamp() throws(FerryError) -> Int64 {
        let (unix, overflow) = try int64().addingReportingOverflow(SendForm.unixEpochMicrosOffset)
        guard !overflow else { throw ReplicationFrame.malformed("a timestamp is out of range") }
        return unix
    }

    /// A NUL-terminated string (client_encoding is UTF8).
    mutating func string() throws(FerryError) -> String {
        var end = position
        while end < buffer.count, buffer[end] != 0 { end += 1 }
        guard end < buffer.count else { throw ReplicationFrame.malformed("a string is not terminated") }
        defer { position = end + 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[position..<end]), as: UTF8.self)
    }

    /// Moves past `n` bytes.
    mutating func skip(_ n: Int) throws(FerryError) {
        try need(n)
        position += n
    }

    /// `n` bytes, copied out of libpq's buffer (which is freed as soon as the message is decoded).
    mutating func bytes(_ n: Int) throws(FerryError) -> [UInt8] {
        try need(n)
        defer { position += n }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[position..<(position + n)]))
    }
}

/// One CopyData message of a logical replication stream (postgres-wire.md B.5).
enum ReplicationFrame: Hashable {
    /// `w`: one pgoutput message, at `payload` in the CopyData message (decoded in place by the caller). For
    /// logical streams walStart == walEnd, and it is not unique per change (E.3), so it is never used as a
    /// position except the Commit's own LSNs.
    case xlogData(walStart: LSN, walEnd: LSN, payload: Int)
    /// `k`: the server has sent everything up to `walEnd`; `replyRequested` asks for a status update now.
    case keepalive(walEnd: LSN, replyRequested: Bool)

    static func malformed(_ what: String) -> FerryError {
        FerryError(.data, "malformed replication message from the server: \(what)")
    }

    /// Decodes a CopyData message's header.
    static func decode(_ raw: UnsafeRawBufferPointer) throws(FerryError) -> ReplicationFrame {
        var reader = WireReader(raw)
        let kind = try reader.uint8()
        switch kind {
        case UInt8(ascii: "w"):
            let start = try reader.lsn()
            let end = try reader.lsn()
            _ = try reader.int64()  // send time
            return .xlogData(walStart: start, walEnd: end, payload: reader.position)
        case UInt8(ascii: "k"):
            let end = try reader.lsn()
            _ = try reader.int64()  // send time
            return .keepalive(walEnd: end, replyRequested: try reader.uint8() != 0)
        default:
            throw malformed("unknown CopyData message type \(Self.describe(kind))")
        }
    }

    static func describe(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }
}

/// The standby status update (`r`, 34 bytes) a client sends to report what it has durably applied.
enum StandbyStatusUpdate {
    static let length = 34

    /// `write`, `flush` and `apply` are all `position`: only `flush` moves the slot (it becomes
    /// `confirmed_flush_lsn`); the other two feed `pg_stat_replication`. `clock` is µs since 1970.
    static func encode(position: LSN, clock unixMicros: Int64, replyRequested: Bool) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "r")]
        out.reserveCapacity(length)
        out.appendBE(position.rawValue)
        out.appendBE(position.rawValue)
        out.appendBE(position.rawValue)
        out.appendBE(unixMicros &- SendForm.unixEpochMicrosOffset)
        out.append(replyRequested ? 1 : 0)
        return out
    }
}
