import Foundation

extension PostgresSQL {
    /// `it's` -> `'it''s'`. Every session pins `standard_conforming_strings = on` (`pinnedSettings`), so a backslash
    /// is an ordinary character.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `DO $tag$ body $tag$` with a dollar-quote tag that does not occur in `body`, so text taken from a catalog
    /// (enum labels, comments, names) can never end the block early.
    static func doBlock(_ body: String) -> String {
        var tag = "$ferry$"
        var n = 0
        while body.contains(tag) {
            n += 1
            tag = "$ferry\(n)$"
        }
        return "DO \(tag) \(body) \(tag)"
    }
}
