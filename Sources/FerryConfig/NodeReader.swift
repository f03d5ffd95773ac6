import FerryCore
import Foundation
import Yams

/// Walks the YAML node tree, checking keys and types as it goes.
struct NodeReader {
    let file: String
    let environment: [String: String]

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
        "partition_by", "deletes", "metadata_columns",
    ]
    static let settingsKeys = [
        "default_batch_size", "connection_timeout", "command_timeout", "max_retries", "workers", "dry_run",
        "verbose_logging", "confirm",
    ]

    func error(_ node: Node?, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line, column: node?.mark?.column, message: message)
    }

    /// The entries of a mapping, rejecting keys outside `allowed`.
    func mapping(
        _ node: Node, at path: String, allowed: [String]
    ) throws(ConfigError) -> [String: (key: Node, value: Node)] {
        guard let map = node.mapping else {
            throw error(node, "\(path) must be a mapping of keys to values")
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in map {
            guard let key = k.string else { throw error(k, "\(path) has a key that is not a string") }
            if !allowed.contains(key) {
                throw error(k, "unknown key '\(key)' in \(path)" + Suggestion.hint(for: key, in: allowed))
            }
            out[key] = (k, v)
        }
        return out
    }

    func string(_ node: Node, at path: String) throws(ConfigError) -> String {
        guard case .scalar(let s) = node, !s.string.isEmpty else {
            throw error(node, "\(path) must be a non-empty string")
        }
        return s.string
    }

    func int(_ node: Node, at path: String, min: Int = Int.min) throws(ConfigError) -> Int {
        guard case .scalar = node, let v = node.int else {
            throw error(node, "\(path) must be an integer, got '\(node.string ?? "a collection")'")
        }
        guard v >= min else { throw error(node, "\(path) must be at least \(min), got \(v)") }
        return v
    }

    func bool(_ node: Node, at path: String) throws(ConfigError) -> Bool {
        guard case .scalar = node, let v = node.bool else {
            throw error(node, "\(path) must be true or false, got '\(node.string ?? "a collection")'")
        }
        return v
    }

    func choice<T: RawRepresentable & CaseIterable>(
        _ node: Node, at path: String, as: T.Type, aliases: [String: T] = [:]
    ) throws(ConfigError) -> T where T.RawValue == String {
        let raw = try string(node, at: path)
        if let v = T(rawValue: raw) ?? aliases[raw] { return v }
        let valid = T.allCases.map(\.rawValue)
        let hint = Suggestion.closest(to: raw, in: valid).map { "; did you mean '\($0)'?" } ?? ""
        throw error(node, "\(path) must be one of \(valid.joined(separator: ", ")), got '\(raw)'\(hint)")
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

        var settings = Settings()
        if let s = top["settings"] { settings = try self.settings(s.value) }

        let configDir = (file as NSString).deletingLastPathComponent
        var statePath = ((configDir.isEmpty ? "." : configDir) + "/.ferry/state.db" as NSString).standardizingPath
        if let st = top["state"] {
            let m = try mapping(st.value, at: "state", allowed: Self.stateKeys)
            if let p = m["path"] { statePath = resolve(try string(p.value, at: "state.path")) }
        }

        guard let t = top["tables"] else { throw error(root, "missing 'tables': list the tables to replicate") }
        guard let seq = t.value.sequence, !seq.isEmpty else {
            throw error(t.value, "tables must be a non-empty list of tables")
        }
        var tables: [TableSpec] = []
        var seen: Set<String> = []
        for (i, node) in seq.enumerated() {
            let spec = try table(node, index: i, settings: settings)
            let key = spec.name.description.lowercased()
            if seen.contains(key) {
                throw error(node, "table '\(spec.name)' is listed twice in tables; list each table once")
            }
            seen.insert(key)
            tables.append(spec)
        }
        if let cdcTable = tables.first(where: { $0.syncMode == .cdc }) {
            guard case .postgres = source else {
                throw error(
                    src.key,
                    "table \(cdcTable.name) uses sync_mode cdc, which reads PostgreSQL logical replication; the source is \(source.kind)"
                )
            }
        }
        return PipelineConfig(
            path: file, hash: Self.fingerprint(text), source: source, target: target, statePath: statePath,
            tables: tables, settings: settings)
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || path.hasPrefix("~") { return (path as NSString).expandingTildeInPath }
        let dir = (file as NSString).deletingLastPathComponent
        return ((dir.isEmpty ? path : dir + "/" + path) as NSString).standardizingPath
    }

    func database(_ node: Node, role: String) throws(ConfigError) -> DatabaseConfig {
        let path = "databases.\(role)"
        if let map = node.mapping {
            for (k, _) in map {
                if let key = k.string, Self.forbiddenCredentialKeys.contains(key) {
                    let env = key.hasPrefix("p") ? "\(role.uppercased())_DB_PASSWORD" : "\(role.uppercased())_DB_USER"
                    throw error(
                        k,
                        "\(path).\(key): credentials are never read from the config file; remove it and set \(env) in the environment (or name another variable with \(key.hasPrefix("p") ? "password_env" : "user_env"))"
                    )
                }
            }
        }
        let m = try mapping(node, at: path, allowed: Self.databaseKeys)
        guard let typeNode = m["type"] else { throw error(node, "\(path) needs a type: postgres or sqlite") }
        let type = try string(typeNode.value, at: "\(path).type")
        switch type {
        case "sqlite":
            for key in [
                "host", "server", "port", "database", "user_env", "password_env", "sslmode", "compression", "cdc",
                "deletion_vectors",
            ]
            where m[key] != nil {
                throw error(m[key]?.key, "\(path).\(key) does not apply to a sqlite database (it takes only 'path')")
            }
            guard let p = m["path"] else { throw error(node, "\(path) (sqlite) needs a path to the database file") }
            return .sqlite(path: resolve(try string(p.value, at: "\(path).path")))
        case "postgres", "postgresql":
            if let p = m["path"] {
                throw error(p.key, "\(path).path applies to sqlite; a postgres database takes host, port and database")
            }
            if let d = m["deletion_vectors"] {
                throw error(d.key, "\(path).deletion_vectors applies to a delta target")
            }
            let hostNode = m["host"] ?? m["server"]
            let host =
                try hostNode.map { (n) throws(ConfigError) in try string(n.value, at: "\(path).host") } ?? "localhost"
            let port =
                try m["port"].map { (n) throws(ConfigError) in try int(n.value, at: "\(path).port", min: 1) } ?? 5432
            guard let dbNode = m["database"] else { throw error(node, "\(path) (postgres) needs a database name") }
            let database = try string(dbNode.value, at: "\(path).database")
            let userEnv =
                try m["user_env"].map { (n) throws(ConfigError) in try string(n.value, at: "\(path).user_env") }
                ?? "\(role.uppercased())_DB_USER"
            let passwordEnv =
                try m["password_env"].map { (n) throws(ConfigError) in try string(n.value, at: "\(path).password_env") }
                ?? "\(role.uppercased())_DB_PASSWORD"
            guard let user = environment[userEnv], !user.isEmpty else {
                throw error(
                    typeNode.key,
                    "\(path): environment variable \(userEnv) is not set; export the database user there (credentials are never read from the config file)"
                )
            }
            let sslMode = try m["sslmode"].map { (n) throws(ConfigError) in try string(n.value, at: "\(path).sslmode") }
            var db = PostgresDatabase(
                host: host, port: port, database: database, user: user, password: environment[passwordEnv],
                sslMode: sslMode, userEnv: userEnv, passwordEnv: passwordEnv)
            if let c = m["cdc"] {
                guard role == "source" else {
                    throw error(c.key, "\(path).cdc applies to the source database (where changes are read)")
                }
                db.cdc = try cdc(c.value, at: "\(path).cdc")
            }
            return .postgres(db)
        case "delta":
            guard role == "target" else {
                throw error(typeNode.value, "\(path).type delta is a target only; the source is postgres or sqlite")
            }
            for key in ["host", "server", "port", "database", "user_env", "password_env", "sslmode", "cdc"]
            where m[key] != nil {
                throw error(
                    m[key]?.key,
                    "\(path).\(key) does not apply to a delta target (it takes path, compression and deletion_vectors)")
            }
            guard let p = m["path"] else {
                throw error(node, "\(path) (delta) needs a path: the directory of the lake")
            }
            var compression = "zstd"
            if let c = m["compression"] {
                compression = try string(c.value, at: "\(path).compression")
                let valid = ["zstd", "snappy", "gzip", "none"]
                guard valid.contains(compression) else {
                    throw error(
                        c.value,
                        "\(path).compression must be one of \(valid.joined(separator: ", ")), got '\(compression)'")
                }
            }
            let deletionVectors =
                try m["deletion_vectors"].map { (n) throws(ConfigError) in
                    try bool(n.value, at: "\(path).deletion_vectors")
                } ?? true
            return .delta(
                path: resolve(try string(p.value, at: "\(path).path")), compression: compression,
                deletionVectors: deletionVectors)
        default:
            let hint =
                Suggestion.closest(to: type, in: ["postgres", "sqlite", "delta"]).map { "; did you mean '\($0)'?" }
                ?? ""
            throw error(typeNode.value, "\(path).type must be postgres, sqlite or delta, got '\(type)'\(hint)")
        }
    }

    func cdc(_ node: Node, at path: String) throws(ConfigError) -> CDCSettings {
        let m = try mapping(node, at: path, allowed: Self.cdcKeys)
        var c = CDCSettings()
        if let n = m["slot_name"] { c.slotName = try identifier(n.value, at: "\(path).slot_name") }
        if let n = m["publication_name"] { c.publicationName = try identifier(n.value, at: "\(path).publication_name") }
        if let n = m["batch_max_rows"] { c.batchMaxRows = try int(n.value, at: "\(path).batch_max_rows", min: 1) }
        if let n = m["batch_max_seconds"] {
            guard case .scalar = n.value, let v = n.value.float, v > 0 else {
                throw error(n.value, "\(path).batch_max_seconds must be a positive number of seconds")
            }
            c.batchMaxSeconds = v
        }
        if let n = m["batch_max_memory"] {
            c.batchMaxBytes = try byteSize(n.value, at: "\(path).batch_max_memory")
            guard c.batchMaxBytes >= 1 << 20 else {
                throw error(n.value, "\(path).batch_max_memory must be at least 1MB")
            }
        }
        if let n = m["max_retained_wal"] { c.maxRetainedWAL = try byteSize(n.value, at: "\(path).max_retained_wal") }
        return c
    }

    /// A slot or publication name: PostgreSQL allows lower-case letters, digits and underscores in slot names.
    func identifier(_ node: Node, at path: String) throws(ConfigError) -> String {
        let name = try string(node, at: path)
        let ok =
            name.utf8.count <= 63
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard ok else {
            throw error(
                node, "\(path) must use only lower-case letters, digits and underscores (at most 63), got '\(name)'")
        }
        return name
    }

    /// Bytes as an integer or with a unit: `512MB`, `2GB` (binary units).
    func byteSize(_ node: Node, at path: String) throws(ConfigError) -> Int64 {
        if let v = node.int, v > 0 { return Int64(v) }
        let text = (node.string ?? "").uppercased().replacingOccurrences(of: " ", with: "")
        let units: [(String, Int64)] = [("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            if let n = Double(text.dropLast(unit.count)), n > 0 { return Int64(n * Double(factor)) }
        }
        throw error(node, "\(path) must be a size such as 512MB or 2GB, got '\(node.string ?? "a collection")'")
    }

    func settings(_ node: Node) throws(ConfigError) -> Settings {
        let m = try mapping(node, at: "settings", allowed: Self.settingsKeys)
        var s = Settings()
        if let n = m["default_batch_size"] {
            s.defaultBatchSize = try int(n.value, at: "settings.default_batch_size", min: 1)
        }
        if let n = m["connection_timeout"] {
            s.connectionTimeout = try int(n.value, at: "settings.connection_timeout", min: 1)
        }
        if let n = m["command_timeout"] { s.commandTimeout = try int(n.value, at: "settings.command_timeout", min: 0) }
        if let n = m["max_retries"] { s.maxRetries = try int(n.value, at: "settings.max_retries", min: 0) }
        if let n = m["workers"] { s.workers = try int(n.value, at: "settings.workers", min: 1) }
        if let n = m["dry_run"] { s.dryRun = try bool(n.value, at: "settings.dry_run") }
        if let n = m["verbose_logging"] { s.verboseLogging = try bool(n.value, at: "settings.verbose_logging") }
        if let n = m["confirm"] { s.confirm = try bool(n.value, at: "settings.confirm") }
        return s
    }

    func table(_ node: Node, index: Int, settings: Settings) throws(ConfigError) -> TableSpec {
        let path = "tables[\(index)]"
        let m = try mapping(node, at: path, allowed: Self.tableKeys)
        guard let nameNode = m["name"] else { throw error(node, "\(path) needs a name") }
        let name = try string(nameNode.value, at: "\(path).name")
        let where_ = "\(path) (\(name))"
        var spec = TableSpec(name: TableName(parsing: name), batchSize: settings.defaultBatchSize)
        if let n = m["target_table"] {
            spec.targetName = TableName(parsing: try string(n.value, at: "\(where_).target_table"))
        }
        if let n = m["sync_mode"] { spec.syncMode = try choice(n.value, at: "\(where_).sync_mode", as: SyncMode.self) }
        if let n = m["strategy"] {
            spec.strategy = try choice(
                n.value, at: "\(where_).strategy", as: LoadStrategy.self,
                aliases: ["staging_partition_switch": .stagingSwap])
        }
        if let n = m["truncate_target"] { spec.truncateTarget = try bool(n.value, at: "\(where_).truncate_target") }
        if let n = m["incremental_column"] {
            spec.incrementalColumn = try string(n.value, at: "\(where_).incremental_column")
        }
        if let n = m["incremental_type"] {
            spec.incrementalType = try choice(n.value, at: "\(where_).incremental_type", as: IncrementalType.self)
        }
        if let n = m["date_buffer_days"] {
            spec.dateBufferDays = try int(n.value, at: "\(where_).date_buffer_days", min: 0)
        }
        if let n = m["fallback_to_full"] { spec.fallbackToFull = try bool(n.value, at: "\(where_).fallback_to_full") }
        if let n = m["batch_size"] { spec.batchSize = try int(n.value, at: "\(where_).batch_size", min: 1) }
        if let n = m["row_limit"] { spec.rowLimit = try int(n.value, at: "\(where_).row_limit", min: 0) }
        if let n = m["primary_key"] { spec.primaryKey = try columnList(n.value, at: "\(where_).primary_key") }
        if let n = m["partition_by"] { spec.partitionBy = try columnList(n.value, at: "\(where_).partition_by") }
        if let n = m["deletes"] { spec.deletes = try choice(n.value, at: "\(where_).deletes", as: DeleteMode.self) }
        if let n = m["metadata_columns"] { spec.metadataColumns = try bool(n.value, at: "\(where_).metadata_columns") }
        if spec.syncMode != .cdc {
            for key in ["deletes", "metadata_columns"] where m[key] != nil {
                throw error(m[key]?.key, "\(where_): \(key) applies to sync_mode cdc only")
            }
        }
        if spec.syncMode == .cdc {
            for key in ["incremental_column", "incremental_type", "date_buffer_days", "fallback_to_full"]
            where m[key] != nil {
                throw error(
                    m[key]?.key, "\(where_): \(key) does not apply to sync_mode cdc (changes come from the WAL)")
            }
        } else if spec.syncMode != .fullReplace {
            guard spec.incrementalColumn != nil else {
                throw error(nameNode.key, "\(where_): sync_mode \(spec.syncMode.rawValue) needs incremental_column")
            }
            guard let type = spec.incrementalType else {
                throw error(
                    nameNode.key,
                    "\(where_): sync_mode \(spec.syncMode.rawValue) needs incremental_type (identity, date or datetime)"
                )
            }
            if type == .identity && spec.dateBufferDays > 0 {
                throw error(
                    m["date_buffer_days"]?.key,
                    "\(where_): date_buffer_days applies to incremental_type date or datetime, not identity")
            }
        } else if spec.incrementalType != nil && m["incremental_column"] == nil {
            throw error(
                m["incremental_type"]?.key, "\(where_): incremental_type is set but incremental_column is missing")
        }
        return spec
    }

    /// A column name, a comma-separated list, or a YAML list of names.
    func columnList(_ node: Node, at path: String) throws(ConfigError) -> [String] {
        if let seq = node.sequence {
            var cols: [String] = []
            for c in seq { cols.append(try string(c, at: path)) }
            return cols
        }
        return try string(node, at: path).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
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
