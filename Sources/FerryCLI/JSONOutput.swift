import FerryState
import Foundation

/// The one way `--json` output is written: snake_case keys, sorted, dates as the state store's ISO-8601 text
/// (`2025-01-31T12:00:00.000Z`), so `status`, `history`, `run` and the rest read alike.
enum JSONOutput {
    static func string(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(ISO8601.string(date))
        }
        // A rate or a duration is never infinite, but a NaN must not turn the whole report into an error.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            return #"{"error": "the report could not be encoded as JSON"}"#
        }
    }

    /// Prints `value` on stdout.
    static func print(_ value: some Encodable) {
        Swift.print(string(value))
    }
}
