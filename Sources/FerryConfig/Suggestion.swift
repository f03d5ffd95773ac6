/// "Did you mean" suggestions for misspelt keys, values and table names.
///
/// Public so the CLI suggests `--table` names by the same rule as the config's keys: only a close name is offered,
/// never the least far of a list of unrelated ones.
public enum Suggestion {
    /// The candidate closest to `word` (case-insensitively), if it is within a third of its length (at least 2
    /// edits); `nil` when nothing is close.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if d <= max(2, c.count / 3), d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// `; did you mean 'x'?` for a close candidate, else the list of valid keys.
    static func hint(for word: String, in candidates: [String]) -> String {
        if let s = closest(to: word, in: candidates) { return "; did you mean '\(s)'?" }
        return "; valid keys: " + candidates.joined(separator: ", ")
    }

    /// Levenshtein distance over Unicode scalars; words much longer than any candidate are not compared in full.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(2 * b.unicodeScalars.count + 64))
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
