import Foundation

/// Exact conversions between unscaled decimals and their text form. No floating point is involved anywhere.
public enum DecimalText {
    /// `12345, scale 2` -> `"123.45"`; `-5, scale 3` -> `"-0.005"`.
    public static func format(unscaled: Int128, scale: Int) -> String {
        let negative = unscaled < 0
        let magnitude = unscaled.magnitude
        var digits = String(magnitude)
        if scale > 0 {
            if digits.count <= scale {
                digits = String(repeating: "0", count: scale - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        } else if scale < 0 {
            digits += String(repeating: "0", count: -scale)
        }
        return negative ? "-" + digits : digits
    }

    /// Parses `"-123.4500"`, `"1e3"`, `"+.5"` into an unscaled value at `scale`.
    ///
    /// Returns `nil` when the text is not a number, has more significant fractional digits than `scale`
    /// (rounding would lose data), or does not fit in `precision` digits.
    public static func parse(_ text: some StringProtocol, scale: Int, precision: Int = 38) -> Int128? {
        var intDigits: [UInt8] = []
        var fracDigits: [UInt8] = []
        var negative = false
        var exponent = 0
        var seenDot = false
        var seenDigit = false
        var bytes = Array(text.utf8)[...]
        while let f = bytes.first, f == 0x20 { bytes = bytes.dropFirst() }
        while let l = bytes.last, l == 0x20 { bytes = bytes.dropLast() }
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 {
                seenDigit = true
                if seenDot { fracDigits.append(c - 0x30) } else { intDigits.append(c - 0x30) }
            } else if c == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                guard let e = Int(String(decoding: bytes[(i + 1)...], as: UTF8.self)) else { return nil }
                exponent = e
                break
            } else {
                return nil
            }
            i += 1
        }
        guard seenDigit else { return nil }
        // value = digits * 10^(exponent - fracDigits.count); we want value * 10^scale.
        var all = intDigits + fracDigits
        var shift = exponent - fracDigits.count + scale
        while shift < 0 {
            guard let last = all.last else { break }
            if last != 0 { return nil }
            all.removeLast()
            shift += 1
        }
        if shift < 0 { shift = 0 }
        all += [UInt8](repeating: 0, count: shift)
        while all.count > 1 && all.first == 0 { all.removeFirst() }
        if all.count > precision && !(all.count == 1 && all[0] == 0) { return nil }
        var result: Int128 = 0
        for d in all {
            let (m, o1) = result.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int128(d))
            if o1 || o2 { return nil }
            result = a
        }
        return negative ? -result : result
    }

    /// The number of decimal digits of `value`'s magnitude.
    public static func digitCount(_ value: Int128) -> Int {
        value == 0 ? 1 : String(value.magnitude).count
    }
}

/// Canonical text of 16-byte UUIDs.
public enum UUIDText {
    private static let hex = Array("0123456789abcdef".utf8)

    public static func format(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the 36-character form (hyphens optional, any case, optional braces); `nil` if malformed.
    public static func parse(_ text: some StringProtocol) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(16)
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            case UInt8(ascii: "-"), UInt8(ascii: "{"), UInt8(ascii: "}"): continue
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out.count == 16 && high == nil ? out : nil
    }
}

extension DecimalText {
    /// Plain decimal notation for any number text (`"1.5e+3"` -> `"1500"`, `"-.50"` -> `"-0.50"`), keeping every
    /// digit; `"NaN"` stays `"NaN"`. `nil` when the text is not a number. Used for unconstrained numerics, which
    /// have no fixed scale to parse into.
    public static func canonical(_ text: some StringProtocol) -> String? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.lowercased() == "nan" { return "NaN" }
        var bytes = Array(s.utf8)[...]
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var mantissa = bytes
        var exponent = 0
        if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let x = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)), abs(x) < 100_000 else { return nil }
            exponent = x
            mantissa = bytes[..<e]
        }
        var intPart: [UInt8] = []
        var fracPart: [UInt8] = []
        var seenDot = false
        for c in mantissa {
            if c >= 0x30 && c <= 0x39 {
                if seenDot { fracPart.append(c) } else { intPart.append(c) }
            } else if c == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                return nil
            }
        }
        guard !(intPart.isEmpty && fracPart.isEmpty) else { return nil }
        // Shift the decimal point by the exponent.
        var digits = intPart + fracPart
        var point = intPart.count + exponent
        if point < 0 {
            digits = [UInt8](repeating: 0x30, count: -point) + digits
            point = 0
        }
        if point > digits.count { digits += [UInt8](repeating: 0x30, count: point - digits.count) }
        var whole = Array(digits[..<point])
        let frac = Array(digits[point...])
        while whole.count > 1 && whole.first == 0x30 { whole.removeFirst() }
        if whole.isEmpty { whole = [0x30] }
        var out = String(decoding: whole, as: UTF8.self)
        if !frac.isEmpty { out += "." + String(decoding: frac, as: UTF8.self) }
        let isZero = !digits.contains { $0 != 0x30 }
        return negative && !isZero ? "-" + out : out
    }
}
