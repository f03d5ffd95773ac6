import FerryCore
import Foundation
import Yams

/// Walks the YAML node tree, checking keys, types and ranges as it goes.
///
/// The value readers are in NodeReader+Values.swift, databases in NodeReader+Database.swift, tables and settings in
/// NodeReader+Tables.swift.
struct NodeReader {
    let file: String
    let environment: [String: String]
    /// The longest table or column name part: PostgreSQL's limit once a PostgreSQL database is involved.
    var identifierBytes = ConfigLimits.nameBytes

    static let topKeys = ["databases", "state", "tables", "settings"]
    static let databasesKeys = ["source", "target"]
    static let databaseKeys = [
        "type", "host", "server", "port", "database", "path", "user_env", "password_env", "sslmode", "compression",
        "cdc", "deletion_vectors",
    ]
    static let cdcKeys = [
        "slot_name", "publication_name", "batch_max_rows", "batch_max_seconds", "batch_max_memory", "max_retained_wal",
    ]
    static let forbiddenCredentialKeys = ["password", "passwd", "pwd", "user", "username"]
    static let stateKeys = ["path"]
    static let tableKeys = [
        "name", "target_table", "sync_mode", "strategy", "truncate_target", "incremental_column",
        "incremental_type", "date_buffer_days", "fallback_to_full", "batch_size", "row_limit", "primary_key",
        "partition_by", "deletes", "metadata_columns", "schema_sync",
    ]
    static let settingsKeys = [
        "default_batch_size", "connection_timeout", "command_timeout", "max_retries", "workers", "dry_run",
        "verbose_logging", "confirm",
    ]

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func error(_ node: Node?, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line, column: node?.mark?.column, message: message)
    }

    mutating func pipeline(_ root: Node, text: String) throws(ConfigError) -> PipelineConfig {
        let top = try mapping(root, at: "the config", allowed: Self.topKeys)
        guard let dbs = top["databases"] else {
            throw error(root, "missing 'databases' (with 'source' and 'target')")
        }
        let dbMap = try mapping(dbs.value, at: "databases", allowed: Self.databasesKeys)
        guard let src = dbMap["source"] else { throw error(dbs.key, "missing databases.source") }
        guard let dst = dbMap["target"] else { throw error(dbs.key, "missing databases.target") }
        let source = try database(src.value, role: "source")
        let target = try database(dst.value, role: "target")
        if source.kind == "postgres" || target.kind == "postgres" {
            identifierBytes = ConfigLimits.postgresIdentifierBytes
        }

        var settings = Settings()
        if let s = top["settings"] { settings = try self.settings(s.value) }

        let configDir = (file as NSString).deletingLastPathComponent
        var statePath = ((configDir.isEmpty ? "." : configDir) + "/.ferry/state.db" as NSString).standardizingPath
        if let st = top["state"] {
            let m = try mapping(st.value, at: "state", allowed: Self.stateKeys)
            if let p = m["path"] { statePath = resolve(try path(p.value, at: "state.path")) }
        }

        let tables = try self.tables(top, root: root, settings: settings)
        if let cdcTable = tables.first(where: { $0.syncMode == .cdc }) {
            guard case .postgres = source else {
                throw error(
                    src.key,
                    "table \(Echo.quote(cdcTable.name.description)) uses sync_mode cdc, which reads PostgreSQL logical replication; the source is \(source.kind)"
                )
            }
        }
        return PipelineConfig(
            path: file, hash: Self.fingerprint(text), source: source, target: target, statePath: statePath,
            tables: tables, settings: settings)
    }

    /// A file or directory path: at most PATH_MAX bytes, no control characters.
    func path(_ node: Node, at path: String) throws(ConfigError) -> String {
        try string(node, at: path, maxBytes: ConfigLimits.pathBytes)
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || path.hasPrefix("~") { return (path as NSString).expandingTildeInPath }
        let dir = (file as NSString).deletingLastPathComponent
        return ((dir.isEmpty ? path : dir + "/" + path) as NSString).standardizingPath
    }

    /// FNV-1a 64 of the config text: identifies which config a run used.
    static func fingerprint(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
