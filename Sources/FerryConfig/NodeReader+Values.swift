import Foundation
import Yams

/// Typed, range-checked reads of single values. Every message names the key, echoes the value short (`Echo`) and
/// says what is allowed.
extension NodeReader {
    /// The entries of a mapping, rejecting keys outside `allowed`.
    func mapping(
        _ node: Node, at path: String, allowed: [String]
    ) throws(ConfigError) -> [String: (key: Node, value: Node)] {
        guard let map = node.mapping else {
            throw error(node, "\(path) must be a mapping of keys to values, got \(Self.describe(node))")
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in map {
            guard case .scalar = k, let key = k.string else {
                throw error(k, "\(path) has a key that is not a string (\(Self.describe(k)))")
            }
            if !allowed.contains(key) {
                throw error(
                    k, "unknown key \(Echo.quote(key)) in \(path)" + Suggestion.hint(for: key, in: allowed))
            }
            out[key] = (k, v)
        }
        return out
    }

    /// A non-empty string of at most `maxBytes` UTF-8 bytes, without control characters.
    ///
    /// YAML's null (`~`, `null` or nothing) is refused rather than read as the text "~" or "null": a value that
    /// is left out by mistake should not become a host or a file named "~".
    func string(
        _ node: Node, at path: String, maxBytes: Int = ConfigLimits.textBytes
    ) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(node, "\(path) must be a string, got \(Self.describe(node))")
        }
        let text = scalar.string
        if node.null != nil {
            let got = text.isEmpty ? "nothing" : "null (\(Echo.quote(text)))"
            throw error(node, "\(path) must be a non-empty string, got \(got); quote it if you mean the text")
        }
        guard !text.isEmpty else { throw error(node, "\(path) must be a non-empty string") }
        let bytes = text.utf8.count
        guard bytes <= maxBytes else {
            throw error(node, "\(path) must be at most \(maxBytes) bytes, got \(bytes): \(Echo.quote(text))")
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw error(node, "\(path) must not contain control characters, got \(Echo.quote(text))")
        }
        return text
    }

    /// An integer within `range`.
    func int(_ node: Node, at path: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let allowed =
            range.upperBound == Int.max
            ? "an integer of at least \(range.lowerBound)"
            : "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .scalar = node, node.null == nil, let v = node.int else {
            throw error(node, "\(path) must be \(allowed), got \(Self.describe(node))")
        }
        guard range.contains(v) else { throw error(node, "\(path) must be \(allowed), got \(v)") }
        return v
    }

    /// A finite number within `range`.
    func number(
        _ node: Node, at path: String, in range: ClosedRange<Double>, unit: String
    ) throws(ConfigError)
        -> Double
    {
        guard case .scalar = node, node.null == nil, let v = node.float, v.isFinite, range.contains(v) else {
            throw error(
                node,
                "\(path) must be a number of \(unit) from \(range.lowerBound) to \(range.upperBound), got \(Self.describe(node))"
            )
        }
        return v
    }

    func bool(_ node: Node, at path: String) throws(ConfigError) -> Bool {
        guard case .scalar = node, let v = node.bool else {
            throw error(node, "\(path) must be true or false, got \(Self.describe(node))")
        }
        return v
    }

    func choice<T: RawRepresentable & CaseIterable>(
        _ node: Node, at path: String, as: T.Type, aliases: [String: T] = [:]
    ) throws(ConfigError) -> T where T.RawValue == String {
        let valid = T.allCases.map(\.rawValue)
        return try choice(node, at: path, among: valid) { T(rawValue: $0) ?? aliases[$0] }
    }

    /// One of `valid` (or a value `read` accepts), with a "did you mean" for a near miss.
    func choice<T>(
        _ node: Node, at path: String, among valid: [String], read: (String) -> T?
    ) throws(ConfigError) -> T {
        let raw = try string(node, at: path)
        if let v = read(raw) { return v }
        let hint = Suggestion.closest(to: raw, in: valid).map { "; did you mean '\($0)'?" } ?? ""
        throw error(node, "\(path) must be one of \(valid.joined(separator: ", ")), got \(Echo.quote(raw))\(hint)")
    }

    /// A slot or publication name: PostgreSQL allows lower-case letters, digits and underscores in slot names.
    func identifier(_ node: Node, at path: String) throws(ConfigError) -> String {
        let name = try string(node, at: path)
        let ok =
            name.utf8.count <= ConfigLimits.postgresIdentifierBytes
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard ok else {
            throw error(
                node,
                "\(path) must use only lower-case letters, digits and underscores (at most \(ConfigLimits.postgresIdentifierBytes)), got \(Echo.quote(name))"
            )
        }
        return name
    }

    /// The name of an environment variable: letters, digits and underscores, not starting with a digit.
    func environmentName(_ node: Node, at path: String) throws(ConfigError) -> String {
        let name = try string(node, at: path, maxBytes: ConfigLimits.environmentNameBytes)
        let ok =
            name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
            } && !(name.first?.isNumber ?? true)
        guard ok else {
            throw error(
                node,
                "\(path) must name an environment variable (letters, digits and underscores), got \(Echo.quote(name))")
        }
        return name
    }

    /// Bytes within `range`, as an integer or with a unit: `512MB`, `2GB` (binary units).
    func byteSize(_ node: Node, at path: String, in range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
        let outOfRange = ConfigError(
            file: file, line: node.mark?.line, column: node.mark?.column,
            message:
                "\(path) must be a size from \(Self.size(range.lowerBound)) to \(Self.size(range.upperBound)) "
                + "such as 512MB or 2GB, got \(Self.describe(node))")
        guard case .scalar = node, node.null == nil else { throw outOfRange }
        var bytes: Double?
        if let v = node.int {
            bytes = Double(v)
        } else {
            let text = (node.string ?? "").uppercased().replacingOccurrences(of: " ", with: "")
            let units: [(String, Double)] = [
                ("TB", 0x1p40), ("GB", 0x1p30), ("MB", 0x1p20), ("KB", 0x1p10), ("B", 1),
            ]
            if let (unit, factor) = units.first(where: { text.hasSuffix($0.0) }),
                let n = Double(text.dropLast(unit.count))
            {
                bytes = n * factor
            }
        }
        guard let bytes, bytes.isFinite, bytes >= Double(range.lowerBound), bytes <= Double(range.upperBound) else {
            throw outOfRange
        }
        return Int64(bytes)
    }

    /// A column name, a comma-separated list, or a YAML list of names; never empty.
    func columnList(_ node: Node, at path: String) throws(ConfigError) -> [String] {
        var cols: [String] = []
        if let seq = node.sequence {
            for c in seq { cols.append(try name(c, at: path)) }
        } else {
            let text = try string(node, at: path, maxBytes: ConfigLimits.textBytes * 64)
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let col = part.trimmingCharacters(in: .whitespaces)
                guard !col.isEmpty else {
                    throw error(node, "\(path) has an empty column name in \(Echo.quote(text))")
                }
                guard col.utf8.count <= identifierBytes else {
                    throw error(
                        node, "\(path): column names must be at most \(identifierBytes) bytes, got \(Echo.quote(col))")
                }
                cols.append(col)
            }
        }
        guard !cols.isEmpty else { throw error(node, "\(path) must name at least one column") }
        return cols
    }

    /// A table or column name of at most `identifierBytes` bytes per dotted part, no part empty.
    func name(_ node: Node, at path: String, dotted: Bool = false) throws(ConfigError) -> String {
        let text = try string(node, at: path, maxBytes: 2 * identifierBytes + 1)
        let parts = dotted ? text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false) : [text[...]]
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= identifierBytes else {
                throw error(
                    node,
                    "\(path) must be a name (or schema.name) of 1 to \(identifierBytes) bytes per part, got \(Echo.quote(text))"
                )
            }
        }
        return text
    }

    /// What a node holds, for messages: a short quoted scalar or the kind of collection.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): node.null != nil ? "null" : Echo.quote(s.string)
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// `1MB`, `16GB`: a whole number of the largest binary unit that divides `bytes`.
    static func size(_ bytes: Int64) -> String {
        for (unit, shift) in [("TB", Int64(40)), ("GB", 30), ("MB", 20), ("KB", 10)]
        where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)B"
    }
}
