import FerryCore

/// Why a value the server sent could not become a Ferry value: in binary COPY, or in a change in binary or text
/// form.
///
/// One set of reasons and advice for every reader, so a value fails with the same words in a snapshot and in the
/// stream. `reason` completes "column c: …"; `error(column:at:table:)` builds the whole message.
enum ValueFailure: Error, Sendable, Hashable {
    /// An infinite date or timestamp: Ferry's date and time types have no infinity.
    case infinity
    /// A numeric that is NaN, infinite, malformed, or does not fit `type` exactly.
    case numeric(NumericFailure, type: String)
    /// A value past what Ferry's type holds (a timestamp beyond 64-bit µs since 1970); `what` is "a timestamp".
    case outOfRange(String)
    /// Bytes that are not a value of the type: a length or form the type never has.
    case malformed(expected: String)
    /// An array Ferry would have to reshape to hold as a list: `dimensions` other than one, or a first index
    /// (`lowerBound`) other than 1.
    case notOneDimensional(dimensions: Int, lowerBound: Int)

    var reason: String {
        switch self {
        case .infinity: "cannot represent infinity"
        case .numeric(.nan, let type): "NaN cannot be represented as \(type)"
        case .numeric(.infinity, let type): "an infinite value cannot be represented as \(type)"
        case .numeric(.doesNotFit, let type): "a value does not fit \(type) exactly"
        case .numeric(.malformed, let type): "malformed \(type) value"
        case .outOfRange(let what): "\(what) beyond what Ferry can hold (64-bit microseconds since 1970)"
        case .malformed(let expected): "the server sent a value that is not \(expected)"
        case .notOneDimensional(let dimensions, let lowerBound):
            dimensions == 1
                ? "an array indexed from \(lowerBound), where Ferry reads arrays indexed from 1"
                : "a \(dimensions)-dimensional array, where Ferry reads one-dimensional arrays"
        }
    }

    /// What the user can do about it.
    var advice: String {
        switch self {
        case .infinity: "replace the infinite values in the source, or leave the table out of the config"
        case .numeric(.malformed, _), .malformed:
            "Ferry does not understand how this server sends the column's type; please report it with the column's "
                + "type and the PostgreSQL version"
        case .numeric, .outOfRange: "fix those values in the source, or leave the table out of the config"
        case .notOneDimensional:
            "flatten or cast the column in a view on the source (col::text keeps it as text), or declare the column "
                + "with its dimensions (int[][]), which Ferry reads as text"
        }
    }

    /// "column c: <reason> (<place>); <advice>", where `place` is "row 12" or "change at 0/16B374D8".
    func error(column: String, at place: String, table: String) -> FerryError {
        FerryError(.data, "column \(column): \(reason) (\(place)); \(advice)", table: table)
    }
}
