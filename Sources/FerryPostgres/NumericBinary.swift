import FerryCore

/// Why a numeric value could not be converted.
enum NumericFailure: Error, Sendable {
    case nan
    case infinity
    /// The value does not fit the target (more than 38 digits, or more fractional digits than the scale).
    case doesNotFit
    case malformed
}

/// PostgreSQL's binary `numeric` (postgres-wire.md A.3): base-10000 digits, a weight, a sign and a display scale.
///
/// Conversions are exact integer arithmetic: a value that would be rounded is an error, never a silent change.
enum NumericBinary {
    static let signPositive: UInt16 = 0x0000
    static let signNegative: UInt16 = 0x4000
    static let signNaN: UInt16 = 0xC000
    static let signPlusInfinity: UInt16 = 0xD000
    static let signMinusInfinity: UInt16 = 0xF000

    /// 10^0 … 10^38.
    static let powers: [UInt128] = {
        var p: [UInt128] = [1]
        for _ in 1...38 { p.append(p[p.count - 1] * 10) }
        return p
    }()

    private static func header(
        _ f: UnsafeRawBufferPointer
    ) throws(NumericFailure) -> (
        ndigits: Int, weight: Int, sign: UInt16, dscale: Int
    ) {
        guard f.count >= 8 else { throw .malformed }
        let ndigits = Int(Int16(bitPattern: f.be16(0)))
        guard ndigits >= 0, f.count == 8 + 2 * ndigits else { throw .malformed }
        return (ndigits, Int(Int16(bitPattern: f.be16(2))), f.be16(4), Int(f.be16(6)))
    }

    @inline(__always)
    private static func digit(_ f: UnsafeRawBufferPointer, _ i: Int) -> Int {
        Int(f.be16(8 + 2 * i))
    }

    /// The value as an unscaled integer at `scale` (`1.50` at scale 2 -> 150). Throws when the value is NaN or
    /// infinite, has non-zero digits beyond `scale`, or overflows `Int128`.
    static func unscaled(_ f: UnsafeRawBufferPointer, scale: Int) throws(NumericFailure) -> Int128 {
        let (ndigits, weight, sign, _) = try header(f)
        switch sign {
        case signPositive, signNegative: break
        case signNaN: throw .nan
        case signPlusInfinity, signMinusInfinity: throw .infinity
        default: throw .malformed
        }
        // acc is kept in units of 10^unitExp; each group i has exponent p = 4·(weight − i) + scale in the result.
        var acc: UInt128 = 0
        var unitExp = 0
        for i in 0..<ndigits {
            let d = digit(f, i)
            guard d < 10000 else { throw .malformed }
            let p = 4 * (weight - i) + scale
            if p >= 0 {
                acc = try mulAdd(acc, 10000, UInt128(d))
                unitExp = p
            } else if p > -4 {
                let divisor = Int(powers[-p])
                guard d % divisor == 0 else { throw .doesNotFit }
                acc = try mulAdd(acc, powers[4 + p], UInt128(d / divisor))
                unitExp = 0
            } else {
                guard d == 0 else { throw .doesNotFit }
            }
        }
        if unitExp > 0 {
            guard unitExp <= 38 else { throw .doesNotFit }
            acc = try mulAdd(acc, powers[unitExp], 0)
        }
        guard acc <= UInt128(Int128.max) else { throw .doesNotFit }
        return sign == signNegative ? -Int128(acc) : Int128(acc)
    }

    @inline(__always)
    private static func mulAdd(_ a: UInt128, _ m: UInt128, _ b: UInt128) throws(NumericFailure) -> UInt128 {
        let (x, o1) = a.multipliedReportingOverflow(by: m)
        let (y, o2) = x.addingReportingOverflow(b)
        if o1 || o2 { throw .doesNotFit }
        return y
    }

    /// Appends the value's canonical text (what `numeric_out` prints: exactly `dscale` fractional digits; `NaN`,
    /// `Infinity`, `-Infinity`) to `out`.
    static func appendText(_ f: UnsafeRawBufferPointer, to out: inout [UInt8]) throws(NumericFailure) {
        let (ndigits, weight, sign, dscale) = try header(f)
        switch sign {
        case signPositive, signNegative: break
        case signNaN: out.append(contentsOf: "NaN".utf8); return
        case signPlusInfinity: out.append(contentsOf: "Infinity".utf8); return
        case signMinusInfinity: out.append(contentsOf: "-Infinity".utf8); return
        default: throw .malformed
        }
        if sign == signNegative { out.append(UInt8(ascii: "-")) }
        if weight < 0 {
            out.append(UInt8(ascii: "0"))
        } else {
            for g in 0...weight {
                let d = g < ndigits ? digit(f, g) : 0
                guard d < 10000 else { throw .malformed }
                if g == 0 {
                    appendDecimal(d, to: &out)
                } else {
                    out.append(UInt8(48 + d / 1000))
                    out.append(UInt8(48 + d / 100 % 10))
                    out.append(UInt8(48 + d / 10 % 10))
                    out.append(UInt8(48 + d % 10))
                }
            }
        }
        guard dscale > 0 else { return }
        out.append(UInt8(ascii: "."))
        let divisors = [1000, 100, 10, 1]
        for i in 0..<dscale {
            let g = weight + 1 + i / 4
            let d = g >= 0 && g < ndigits ? digit(f, g) : 0
            out.append(UInt8(48 + d / divisors[i % 4] % 10))
        }
    }

    private static func appendDecimal(_ v: Int, to out: inout [UInt8]) {
        if v >= 10 { appendDecimal(v / 10, to: &out) }
        out.append(UInt8(48 + v % 10))
    }

    // MARK: Encoding

    /// Appends the binary form of `unscaled / 10^scale` with display scale `scale`.
    static func append(unscaled v: Int128, scale: Int, to out: inout [UInt8], scratch: inout [Int16]) {
        let s = max(0, min(scale, 38))
        let m = v.magnitude
        var intPart = m / powers[s]
        let frac = m % powers[s]
        scratch.removeAll(keepingCapacity: true)
        while intPart > 0 {
            scratch.append(Int16(truncatingIfNeeded: intPart % 10000))
            intPart /= 10000
        }
        scratch.reverse()
        let intGroups = scratch.count
        for j in 0..<(s / 4) {
            scratch.append(Int16(truncatingIfNeeded: frac / powers[s - 4 * (j + 1)] % 10000))
        }
        let rem = s % 4
        if rem > 0 {
            scratch.append(Int16(truncatingIfNeeded: (frac % powers[rem]) * powers[4 - rem]))
        }
        _ = write(groups: scratch, weight: intGroups - 1, negative: v < 0, dscale: s, to: &out)
    }

    /// Appends the binary form of a decimal text (`-123.4500`, `NaN`, `Infinity`, `1e3`). Returns `false` when the
    /// text is not a number.
    static func append(text: ArraySlice<UInt8>, to out: inout [UInt8], scratch: inout [Int16]) -> Bool {
        var t = text
        while t.first == 0x20 { t = t.dropFirst() }
        while t.last == 0x20 { t = t.dropLast() }
        if let special = specialSign(t) {
            out.appendBE(UInt16(0))
            out.appendBE(UInt16(0))
            out.appendBE(special)
            out.appendBE(UInt16(0))
            return true
        }
        var negative = false
        if let f = t.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            t = t.dropFirst()
        }
        if t.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let plain = DecimalText.canonical(String(decoding: text, as: UTF8.self)),
                !plain.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
            else { return false }
            return append(text: ArraySlice(plain.utf8), to: &out, scratch: &scratch)
        }
        let dot = t.firstIndex(of: UInt8(ascii: "."))
        var intDigits = t[t.startIndex..<(dot ?? t.endIndex)]
        let fracDigits = dot.map { t[t.index(after: $0)...] } ?? t[t.endIndex...]
        guard !intDigits.isEmpty || !fracDigits.isEmpty else { return false }
        guard intDigits.allSatisfy({ $0 >= 48 && $0 <= 57 }), fracDigits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return false
        }
        guard fracDigits.count <= 16383 else { return false }
        while intDigits.first == 48 { intDigits = intDigits.dropFirst() }
        scratch.removeAll(keepingCapacity: true)
        // Integer digits grouped from the decimal point leftwards: the first group may be short.
        var group = 0
        var width = intDigits.count % 4 == 0 ? 4 : intDigits.count % 4
        for c in intDigits {
            group = group * 10 + Int(c - 48)
            width -= 1
            if width == 0 {
                scratch.append(Int16(group))
                group = 0
                width = 4
            }
        }
        let intGroups = scratch.count
        // Fractional digits grouped from the point rightwards: the last group is padded with zeros.
        var filled = 0
        for c in fracDigits {
            group = group * 10 + Int(c - 48)
            filled += 1
            if filled == 4 {
                scratch.append(Int16(group))
                group = 0
                filled = 0
            }
        }
        if filled > 0 {
            for _ in filled..<4 { group *= 10 }
            scratch.append(Int16(group))
        }
        return write(groups: scratch, weight: intGroups - 1, negative: negative, dscale: fracDigits.count, to: &out)
    }

    private static func specialSign(_ t: ArraySlice<UInt8>) -> UInt16? {
        guard t.count >= 3, t.count <= 9 else { return nil }
        let lower = String(decoding: t, as: UTF8.self).lowercased()
        switch lower {
        case "nan": return signNaN
        case "infinity", "+infinity", "inf", "+inf": return signPlusInfinity
        case "-infinity", "-inf": return signMinusInfinity
        default: return nil
        }
    }

    /// Writes the header and digits, stripping leading and trailing zero groups as `numeric_send` would.
    /// Returns `false` (writing nothing) when the value exceeds what the format can carry.
    private static func write(
        groups: [Int16], weight: Int, negative: Bool, dscale: Int, to out: inout [UInt8]
    ) -> Bool {
        var start = 0
        var end = groups.count
        var w = weight
        while start < end && groups[start] == 0 {
            start += 1
            w -= 1
        }
        while end > start && groups[end - 1] == 0 { end -= 1 }
        let ndigits = end - start
        guard ndigits <= Int(Int16.max), w >= Int(Int16.min), w <= Int(Int16.max), dscale <= 16383 else {
            return false
        }
        out.appendBE(Int16(ndigits))
        out.appendBE(Int16(ndigits == 0 ? 0 : w))
        out.appendBE(ndigits > 0 && negative ? signNegative : signPositive)
        out.appendBE(Int16(dscale))
        for i in start..<end { out.appendBE(groups[i]) }
        return true
    }
}
