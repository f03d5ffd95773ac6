import FerryCore
public import Foundation

/// ISO-8601 with milliseconds, UTC; sortable as text.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let us = ms * 1000
        let s = TimeText.formatTimestamp(micros: us - us % 1_000_000, zoned: false)
        let frac = String(ms % 1000 + 1000).dropFirst()
        return s.replacingOccurrences(of: " ", with: "T") + ".\(frac)Z"
    }

    public static func date(_ text: String) -> Date? {
        guard let t = TimeText.parseTimestamp(text) else { return nil }
        return Date(timeIntervalSince1970: Double(t.micros) / 1_000_000)
    }
}
