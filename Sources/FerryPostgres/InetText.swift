/// `inet_out` and `cidr_out` from `inet_send`'s bytes: what `format('%s', col)` gives, byte for byte.
///
/// PostgreSQL's `inet_net_ntop` (src/port/inet_net_ntop.c): IPv4 always prints four octets; IPv6 compresses the
/// first longest run of two or more zero groups into `::` and prints an embedded IPv4 address (`::ffff:1.2.3.4`)
/// in dotted form. An `inet` leaves out a full mask (`/32`, `/128`), a `cidr` always prints it.
enum InetText {
    /// The text of an `inet_send` value: family (2 = IPv4, 3 = IPv6), mask bits, is-cidr flag, address length, address.
    static func format(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> String {
        guard f.count >= 4 else { throw .malformed(expected: "an inet (\(f.count) bytes in binary form)") }
        let family = f[0]
        let bits = Int(f[1])
        let isCIDR = f[2] != 0
        let length = Int(f[3])
        guard f.count == 4 + length, (family == 2 && length == 4) || (family == 3 && length == 16) else {
            throw .malformed(expected: "an inet (family \(family), \(length) address bytes)")
        }
        let address = Array(f[4...])
        let full = family == 2 ? 32 : 128
        guard bits <= full else { throw .malformed(expected: "an inet (mask of \(bits) bits)") }
        var text = family == 2 ? address.map { String($0) }.joined(separator: ".") : ipv6(address)
        if bits != full || isCIDR { text += "/" + String(bits) }
        return text
    }

    /// RFC 5952-style text of 16 address bytes, as `inet_net_ntop_ipv6` writes it.
    static func ipv6(_ bytes: [UInt8]) -> String {
        let words = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best: (base: Int, length: Int) = (-1, 0)
        var current: (base: Int, length: Int) = (-1, 0)
        for (i, word) in words.enumerated() {
            if word == 0 {
                current = current.base == -1 ? (i, 1) : (current.base, current.length + 1)
            } else if current.base != -1 {
                if best.base == -1 || current.length > best.length { best = current }
                current = (-1, 0)
            }
        }
        if current.base != -1, best.base == -1 || current.length > best.length { best = current }
        if best.base != -1 && best.length < 2 { best = (-1, 0) }
        var out = ""
        for i in 0..<8 {
            if best.base != -1, i >= best.base, i < best.base + best.length {
                if i == best.base { out += ":" }
                continue
            }
            if i != 0 { out += ":" }
            if i == 6, best.base == 0,
                best.length == 6 || (best.length == 7 && words[7] != 1) || (best.length == 5 && words[5] == 0xFFFF)
            {
                out += bytes[12...].map { String($0) }.joined(separator: ".")
                return out
            }
            out += String(words[i], radix: 16)
        }
        if best.base != -1, best.base + best.length == 8 { out += ":" }
        return out
    }
}
