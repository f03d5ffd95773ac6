/// `interval_out` under `IntervalStyle = postgres` (the style Ferry's connections pin), from `interval_send`'s
/// three fields: what `format('%s', col)` gives, byte for byte, without asking the server to print it.
///
/// PostgreSQL's `EncodeInterval` (src/backend/utils/adt/datetime.c): years and months from the months, then days,
/// each left out when zero and signed `+` after a negative part; then the time as `[-]HH:MM:SS[.ffffff]` (trailing
/// zeros of the fraction dropped) when it is not zero or nothing came before. `1 year 2 mons 3 days 04:05:06.789`.
enum IntervalText {
    /// The text of an interval of `micros` µs, `days` days and `months` months.
    static func format(micros: Int64, days: Int32, months: Int32) -> String {
        // PostgreSQL 17's infinite intervals set every field to its extreme.
        if months == .max && days == .max && micros == .max { return "infinity" }
        if months == .min && days == .min && micros == .min { return "-infinity" }
        var out = ""
        var isZero = true
        var isBefore = false
        func part(_ value: Int64, _ unit: String) {
            guard value != 0 else { return }
            if !isZero { out += " " }
            if isBefore && value > 0 { out += "+" }
            out += String(value) + " " + unit + (value != 1 ? "s" : "")
            isBefore = value < 0
            isZero = false
        }
        part(Int64(months / 12), "year")
        part(Int64(months % 12), "mon")
        part(Int64(days), "day")
        let hours = micros / 3_600_000_000
        var rest = micros - hours * 3_600_000_000
        let minutes = rest / 60_000_000
        rest -= minutes * 60_000_000
        let seconds = rest / 1_000_000
        let fraction = rest - seconds * 1_000_000
        if isZero || hours != 0 || minutes != 0 || seconds != 0 || fraction != 0 {
            let minus = hours < 0 || minutes < 0 || seconds < 0 || fraction < 0
            if !isZero { out += " " }
            out += minus ? "-" : (isBefore ? "+" : "")
            out += padded(hours.magnitude) + ":" + padded(minutes.magnitude) + ":" + padded(seconds.magnitude)
            if fraction != 0 {
                var digits = String(fraction.magnitude)
                digits = String(repeating: "0", count: 6 - digits.count) + digits
                while digits.last == "0" { digits.removeLast() }
                out += "." + digits
            }
        }
        return out
    }

    /// The text of an `interval_send` value (Int64 µs, Int32 days, Int32 months).
    static func format(_ f: UnsafeRawBufferPointer) throws(ValueFailure) -> String {
        guard f.count == 16 else { throw .malformed(expected: "an interval (\(f.count) bytes in binary form)") }
        return format(
            micros: Int64(bitPattern: f.be64(0)), days: Int32(bitPattern: f.be32(8)),
            months: Int32(bitPattern: f.be32(12)))
    }

    private static func padded(_ v: UInt64) -> String {
        v < 10 ? "0" + String(v) : String(v)
    }
}
