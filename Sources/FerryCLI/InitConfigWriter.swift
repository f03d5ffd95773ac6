import FerryCore
import FerryEngine
import Foundation

/// Renders a ``ConfigProposal`` as the YAML config README "Configuration" documents, a comment above each choice.
///
/// Credentials are never written: PostgreSQL users and passwords are named only as the default environment
/// variables the config loader reads (SOURCE_DB_USER, …), in a comment.
struct InitConfigWriter {
    var source: InitEndpoint
    var target: InitEndpoint
    var proposal: ConfigProposal
    /// Where the file goes: relative paths from the command line are rewritten for the config's directory, which
    /// is what the loader resolves them against.
    var outputPath: String
    var writtenAt = Date()

    func render() -> String {
        var lines: [String] = []
        lines.append(
            "# Written by `ferry init` from \(describe(source)) on \(ISO8601DateFormatter().string(from: writtenAt)).")
        lines.append("# Review the choices, then: ferry validate -c FILE --check-connections && ferry run -c FILE")
        let credentials = credentialNote()
        if !credentials.isEmpty { lines.append(contentsOf: credentials) }
        lines.append("databases:")
        lines.append("  # \(proposal.streaming.reason)")
        lines.append(contentsOf: database("source", source, cdc: proposal.tables.contains { $0.syncMode == .cdc }))
        lines.append(contentsOf: database("target", target, cdc: false))
        lines.append("tables:")
        for table in proposal.tables {
            lines.append("  # \(table.syncMode.rawValue): \(table.reason)")
            lines.append("  - " + entry(table))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func credentialNote() -> [String] {
        var notes: [String] = []
        if case .postgres(_, _, _, let user) = source {
            let who = user == nil ? "" : " (to the user in --source)"
            notes.append(
                "# Credentials are never kept here: set SOURCE_DB_USER\(who) and SOURCE_DB_PASSWORD in the environment")
            notes.append("# (or name other variables with user_env / password_env on the database).")
        }
        if case .postgres = target {
            notes.append("# The target's credentials come from TARGET_DB_USER and TARGET_DB_PASSWORD.")
        }
        return notes
    }

    private func database(_ role: String, _ endpoint: InitEndpoint, cdc: Bool) -> [String] {
        switch endpoint {
        case .sqlite(let path): return ["  \(role): {type: sqlite, path: \(Self.scalar(relocated(path)))}"]
        case .delta(let path): return ["  \(role): {type: delta, path: \(Self.scalar(relocated(path)))}"]
        case .postgres(let host, let port, let database, _):
            let head =
                "  \(role): {type: postgres, host: \(Self.scalar(host)), port: \(port), database: \(Self.scalar(database))"
            guard cdc else { return [head + "}"] }
            // A slot per database: the server's slots are shared by every database, and the default name would
            // collide with another pipeline's.
            let slot = Self.slotName(for: database)
            return [head + ",", "           cdc: {slot_name: \(slot), publication_name: \(slot)_pub}}"]
        }
    }

    private func entry(_ table: TableProposal) -> String {
        var fields = ["name: \(Self.scalar(table.name.description))", "sync_mode: \(table.syncMode.rawValue)"]
        if table.syncMode == .fullReplace { fields.append("strategy: simple_copy") }
        if let column = table.incrementalColumn { fields.append("incremental_column: \(Self.scalar(column))") }
        if let type = table.incrementalType { fields.append("incremental_type: \(type.rawValue)") }
        if let days = table.dateBufferDays { fields.append("date_buffer_days: \(days)") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private func describe(_ endpoint: InitEndpoint) -> String {
        switch endpoint {
        case .sqlite(let path): "sqlite:\(path)"
        case .delta(let path): "delta:\(path)"
        case .postgres(let host, let port, let database, _): "postgres://\(host):\(port)/\(database)"
        }
    }

    /// A relative path as the config's directory sees it: unchanged when the config is written to the current
    /// directory, else made absolute.
    func relocated(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let dir = (outputPath as NSString).deletingLastPathComponent
        if dir.isEmpty || dir == "." { return path }
        let cwd = FileManager.default.currentDirectoryPath
        return ((cwd as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }

    /// `ferry_<database>` with every character a slot name may not hold turned into `_`, at most 63 bytes.
    static func slotName(for database: String) -> String {
        let cleaned = database.lowercased().map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber) ? c : "_"
        }
        return String(("ferry_" + String(cleaned)).prefix(59))
    }

    /// A YAML flow scalar: plain when it cannot be read as anything but that string, else double-quoted.
    static func scalar(_ text: String) -> String {
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        let plain =
            !text.isEmpty && !reserved.contains(text.lowercased())
            && text.first.map { $0.isLetter || $0 == "_" || $0 == "." || $0 == "/" } == true
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./-".contains($0)) }
        if plain { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\x%02X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
