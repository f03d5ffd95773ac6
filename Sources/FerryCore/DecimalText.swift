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
        var string = String(text)
        return string.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0), scale: scale, precision: precision) }
    }

    /// `parse(_:scale:precision:)` of UTF-8 bytes, without allocating: change streams parse one per numeric value.
    public static func parse(utf8 text: UnsafeRawBufferPointer, scale: Int, precision: Int = 38) -> Int128? {
        var i = 0
        var end = text.count
        while i < end, text[i] == 0x20 { i += 1 }
        while end > i, text[end - 1] == 0x20 { end -= 1 }
        var negative = false
        if i < end, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        // The digits as `mantissa * 10^zeros`: trailing zeros are counted, not multiplied in, so a long run of
        // them cannot overflow before the scale shifts them away.
        var mantissa: Int128 = 0
        var zeros = 0
        var fractionDigits = 0
        var exponent = 0
        var seenDot = false
        var seenDigit = false
        while i < end {
            let c = text[i]
            if c &- 0x30 < 10 {
                seenDigit = true
                if seenDot { fractionDigits += 1 }
                if c == 0x30 {
                    zeros += 1
                } else {
                    guard let m = scaled(mantissa, by: zeros + 1),
                        case let (sum, false) = m.addingReportingOverflow(Int128(c - 0x30))
                    else { return nil }
                    mantissa = sum
                    zeros = 0
                }
            } else if c == UInt8(ascii: "."), !seenDot {
                seenDot = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                guard seenDigit, let e = exponentValue(UnsafeRawBufferPointer(rebasing: text[(i + 1)..<end])) else {
                    return nil
                }
                exponent = e
                break
            } else {
                return nil
            }
            i += 1
        }
        guard seenDigit else { return nil }
        // value = mantissa * 10^(zeros + exponent - fractionDigits); the result is value * 10^scale.
        let shift = zeros + exponent - fractionDigits + scale
        var result: Int128
        if mantissa == 0 {
            result = 0
        } else if shift < 0 {
            return nil  // the last significant digit is not zero: dropping it would round
        } else {
            guard let r = scaled(mantissa, by: shift) else { return nil }
            result = r
        }
        if result != 0 && digitCount(result) > precision { return nil }
        return negative ? -result : result
    }

    /// `value * 10^power`, or `nil` on overflow.
    private static func scaled(_ value: Int128, by power: Int) -> Int128? {
        if value == 0 { return 0 }
        guard power <= 38 else { return nil }
        var v = value
        for _ in 0..<power {
            let (m, overflow) = v.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            v = m
        }
        return v
    }

    /// `[+-]digits` of an exponent, bounded so that no shift can overflow `Int`.
    private static func exponentValue(_ text: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative || text.first == UInt8(ascii: "+") { i = 1 }
        guard i < text.count else { return nil }
        var v = 0
        while i < text.count {
            let d = text[i] &- 0x30
            guard d < 10, v < 1_000_000 else { return nil }
            v = v * 10 + Int(d)
            i += 1
        }
        return negative ? -v : v
    }

    /// `unscaled` at `scale` as an unscaled value at `target`; `nil` when that would drop a non-zero digit or the
    /// result has more than `precision` digits.
    public static func rescale(_ unscaled: Int128, from scale: Int, to target: Int, precision: Int) -> Int128? {
        var v = unscaled
        if target > scale {
            guard let scaled = scaled(v, by: target - scale) else { return nil }
            v = scaled
        } else {
            for _ in 0..<(scale - target) {
                guard v % 10 == 0 else { return nil }
                v /= 10
            }
        }
        guard v == 0 || digitCount(v) <= precision else { return nil }
        return v
    }

    /// The number of decimal digits of `value`'s magnitude.
    public static func digitCount(_ value: Int128) -> Int {
        var magnitude = value.magnitude
        var count = 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
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
