/// Reads the ISO-8601 forms of dates and times from bytes, front to back, without allocating.
///
/// One scanner serves every place Ferry reads time text: config and partition values and SQLite cells
/// (`TimeText`), and the change stream's text values, which parse millions of timestamps a second. `end` may be
/// moved in to take a suffix (a zone, `BC`) off first.
public struct TimeScanner {
    public let bytes: UnsafeRawBufferPointer
    public var position = 0
    public var end: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.end = bytes.count
    }

    @inlinable
    public var atEnd: Bool { position >= end }

    @inlinable
    public mutating func eat(_ c: UInt8) -> Bool {
        guard position < end, bytes[position] == c else { return false }
        position += 1
        return true
    }

    /// Exactly `n` digits.
    @inlinable
    public mutating func digits(_ n: Int) -> Int64? {
        guard end - position >= n else { return nil }
        var v: Int64 = 0
        for k in 0..<n {
            let d = bytes[position + k] &- 0x30
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
        }
        position += n
        return v
    }

    /// One to nine digits, after an optional `-` when `signed`.
    @inlinable
    public mutating func number(signed: Bool) -> Int64? {
        let negative = signed && eat(UInt8(ascii: "-"))
        let start = position
        var v: Int64 = 0
        while position < end, position - start < 9, case let d = bytes[position] &- 0x30, d < 10 {
            v = v * 10 + Int64(d)
            position += 1
        }
        guard position > start else { return nil }
        return negative ? -v : v
    }

    /// `YYYY-MM-DD` (a year of one to nine digits, negative when `signedYear`) as the civil date's parts.
    @inlinable
    public mutating func date(signedYear: Bool) -> (year: Int64, month: Int64, day: Int64)? {
        guard let year = number(signed: signedYear), eat(UInt8(ascii: "-")), let month = number(signed: false),
            eat(UInt8(ascii: "-")), let day = number(signed: false), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return (year, month, day)
    }

    /// `HH:MM[:SS[.f…]]` as µs since midnight; digits past the sixth are ignored.
    @inlinable
    public mutating func time() -> Int64? {
        guard let h = digits(2), eat(UInt8(ascii: ":")), let m = digits(2) else { return nil }
        var s: Int64 = 0
        var fraction: Int64 = 0
        if eat(UInt8(ascii: ":")) {
            guard let v = digits(2) else { return nil }
            s = v
            if eat(UInt8(ascii: ".")) || eat(UInt8(ascii: ",")) {
                var count = 0
                while position < end, case let d = bytes[position] &- 0x30, d < 10 {
                    if count < 6 {
                        fraction = fraction * 10 + Int64(d)
                        count += 1
                    }
                    position += 1
                }
                while count < 6 {
                    fraction *= 10
                    count += 1
                }
            }
        }
        guard h <= 24, m < 60, s < 61 else { return nil }
        return ((h * 60 + m) * 60 + s) * 1_000_000 + fraction
    }
}
