/// Renders a value from the config inside a message: quoted, on one line, and cut short.
///
/// Messages quote what the user wrote so they can find it, but a value can be a megabyte long or hold newlines and
/// control characters; echoed whole it would bury the message or split it over lines.
enum Echo {
    /// How many characters of a value a message shows before the ellipsis.
    static let limit = 60

    /// `'value'`, with control characters escaped and anything past `limit` characters replaced by an ellipsis and
    /// the full length.
    static func quote(_ value: String) -> String { quote(value, limit: limit) }

    /// `quote` with another limit.
    static func quote(_ value: String, limit: Int) -> String {
        var out = ""
        var shown = 0
        var total = 0
        for ch in value {
            total += 1
            guard shown < limit else { continue }
            shown += 1
            out += escaped(ch)
        }
        if total > limit { out += "… (\(total) characters)" }
        return "'" + out + "'"
    }

    private static func escaped(_ ch: Character) -> String {
        var out = ""
        for scalar in ch.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
