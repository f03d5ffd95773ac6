/// Calendar arithmetic and ISO-8601 text for dates and timestamps, exact to the microsecond.
///
/// Foundation's `Date` is a `Double` and loses microseconds far from 2001; Ferry keeps integers throughout.
public enum TimeText {
    public static let microsPerDay: Int64 = 86_400_000_000

    /// Days since 1970-01-01 for a proleptic Gregorian date.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of `days` since 1970-01-01.
    public static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `YYYY-MM-DD`.
    public static func formatDate(days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        let year = y < 0 ? "-" + pad(-y, 4) : pad(y, 4)
        return "\(year)-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// `HH:MM:SS[.ffffff]`.
    public static func formatTime(micros: Int64) -> String {
        let secs = micros / 1_000_000
        let frac = micros % 1_000_000
        var s = "\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
        if frac != 0 { s += "." + pad(frac, 6) }
        return s
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]`, with `+00:00` appended when `zoned`.
    public static func formatTimestamp(micros: Int64, zoned: Bool) -> String {
        var days = micros / microsPerDay
        var rest = micros % microsPerDay
        if rest < 0 {
            rest += microsPerDay
            days -= 1
        }
        return formatDate(days: days) + " " + formatTime(micros: rest) + (zoned ? "+00:00" : "")
    }

    /// Parses `YYYY-MM-DD`; also accepts a timestamp and keeps its date part.
    public static func parseDate(_ text: some StringProtocol) -> Int64? {
        scanning(text) { p in
            guard let (y, m, d) = p.date(signedYear: true) else { return nil }
            return days(year: y, month: m, day: d)
        }
    }

    /// Parses `HH:MM[:SS[.ffffff]]` into microseconds since midnight.
    public static func parseTime(_ text: some StringProtocol) -> Int64? {
        scanning(text) { p in
            guard let t = p.time(), p.atEnd else { return nil }
            return t
        }
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]`.
    ///
    /// Returns microseconds since the epoch in UTC, shifting by the offset when one is present, and whether an
    /// offset was present.
    public static func parseTimestamp(_ text: some StringProtocol) -> (micros: Int64, hadZone: Bool)? {
        scanning(text) { p in
            guard let (y, m, d) = p.date(signedYear: true) else { return nil }
            var micros = days(year: y, month: m, day: d) * microsPerDay
            if p.atEnd { return (micros, false) }
            guard p.eat(UInt8(ascii: "T")) || p.eat(UInt8(ascii: " ")) || p.eat(UInt8(ascii: "t")),
                let t = p.time()
            else { return nil }
            micros += t
            if p.atEnd { return (micros, false) }
            if p.eat(UInt8(ascii: "Z")) || p.eat(UInt8(ascii: "z")) { return p.atEnd ? (micros, true) : nil }
            _ = p.eat(UInt8(ascii: " "))
            let sign: Int64
            if p.eat(UInt8(ascii: "+")) {
                sign = 1
            } else if p.eat(UInt8(ascii: "-")) {
                sign = -1
            } else {
                return nil
            }
            guard let oh = p.digits(2) else { return nil }
            var om: Int64 = 0
            if p.eat(UInt8(ascii: ":")) {
                guard let v = p.digits(2) else { return nil }
                om = v
            } else if let v = p.digits(2) {
                om = v
            }
            guard p.atEnd else { return nil }
            micros -= sign * (oh * 3600 + om * 60) * 1_000_000
            return (micros, true)
        }
    }

    private static func scanning<T>(_ text: some StringProtocol, _ body: (inout TimeScanner) -> T?) -> T? {
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBytes { raw in
            var scanner = TimeScanner(UnsafeRawBufferPointer(raw))
            return body(&scanner)
        }
    }
}
