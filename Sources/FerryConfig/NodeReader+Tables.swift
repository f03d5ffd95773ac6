import FerryCore
import Foundation
import Yams

/// `settings:` and `tables:`.
extension NodeReader {
    func settings(_ node: Node) throws(ConfigError) -> Settings {
        let m = try mapping(node, at: "settings", allowed: Self.settingsKeys)
        var s = Settings()
        func read(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let n = m[key] else { return nil }
            return try int(n.value, at: "settings.\(key)", in: range)
        }
        s.defaultBatchSize = try read("default_batch_size", ConfigLimits.batchSize) ?? s.defaultBatchSize
        s.connectionTimeout = try read("connection_timeout", ConfigLimits.connectionTimeout) ?? s.connectionTimeout
        s.commandTimeout = try read("command_timeout", ConfigLimits.commandTimeout) ?? s.commandTimeout
        s.maxRetries = try read("max_retries", ConfigLimits.maxRetries) ?? s.maxRetries
        s.workers = try read("workers", ConfigLimits.workers) ?? s.workers
        if let n = m["dry_run"] { s.dryRun = try bool(n.value, at: "settings.dry_run") }
        if let n = m["verbose_logging"] { s.verboseLogging = try bool(n.value, at: "settings.verbose_logging") }
        if let n = m["confirm"] { s.confirm = try bool(n.value, at: "settings.confirm") }
        return s
    }

    /// The `tables:` list: each table once.
    func tables(_ top: Entries, root: Node, settings: Settings) throws(ConfigError) -> [TableSpec] {
        guard let t = top["tables"] else { throw error(root, "missing 'tables': list the tables to replicate") }
        guard let seq = t.value.sequence, !seq.isEmpty else {
            throw error(t.value, "tables must be a non-empty list of tables, got \(Self.describe(t.value))")
        }
        var tables: [TableSpec] = []
        var seen: Set<String> = []
        for (i, node) in seq.enumerated() {
            let spec = try table(node, index: i, settings: settings)
            let key = spec.name.description.lowercased()
            if seen.contains(key) {
                throw error(
                    node,
                    "table \(Echo.quote(spec.name.description)) is listed twice in tables; list each table once")
            }
            seen.insert(key)
            tables.append(spec)
        }
        return tables
    }

    func table(_ node: Node, index: Int, settings: Settings) throws(ConfigError) -> TableSpec {
        let path = "tables[\(index)]"
        let m = try mapping(node, at: path, allowed: Self.tableKeys)
        guard let nameNode = m["name"] else { throw error(node, "\(path) needs a name") }
        let name = try self.name(nameNode.value, at: "\(path).name", dotted: true)
        let at = "\(path) (\(Echo.quote(name)))"
        var spec = TableSpec(name: TableName(parsing: name), batchSize: settings.defaultBatchSize)
        try readTableFields(m, into: &spec, at: at)
        try checkSyncModeKeys(m, of: spec, nameKey: nameNode.key, at: at)
        return spec
    }

    /// Every optional key of a table, read into `spec`.
    func readTableFields(_ m: Entries, into spec: inout TableSpec, at path: String) throws(ConfigError) {
        if let n = m["target_table"] {
            spec.targetName = TableName(parsing: try name(n.value, at: "\(path).target_table", dotted: true))
        }
        if let n = m["sync_mode"] { spec.syncMode = try choice(n.value, at: "\(path).sync_mode", as: SyncMode.self) }
        if let n = m["strategy"] {
            spec.strategy = try choice(
                n.value, at: "\(path).strategy", as: LoadStrategy.self,
                aliases: ["staging_partition_switch": .stagingSwap])
        }
        if let n = m["truncate_target"] { spec.truncateTarget = try bool(n.value, at: "\(path).truncate_target") }
        if let n = m["incremental_column"] {
            spec.incrementalColumn = try name(n.value, at: "\(path).incremental_column")
        }
        if let n = m["incremental_type"] {
            spec.incrementalType = try choice(n.value, at: "\(path).incremental_type", as: IncrementalType.self)
        }
        if let n = m["date_buffer_days"] {
            spec.dateBufferDays = try int(n.value, at: "\(path).date_buffer_days", in: ConfigLimits.dateBufferDays)
        }
        if let n = m["fallback_to_full"] { spec.fallbackToFull = try bool(n.value, at: "\(path).fallback_to_full") }
        if let n = m["batch_size"] {
            spec.batchSize = try int(n.value, at: "\(path).batch_size", in: ConfigLimits.batchSize)
        }
        if let n = m["row_limit"] {
            spec.rowLimit = try int(n.value, at: "\(path).row_limit", in: ConfigLimits.rowLimit)
        }
        if let n = m["primary_key"] { spec.primaryKey = try columnList(n.value, at: "\(path).primary_key") }
        if let n = m["partition_by"] { spec.partitionBy = try columnList(n.value, at: "\(path).partition_by") }
        if let n = m["deletes"] { spec.deletes = try choice(n.value, at: "\(path).deletes", as: DeleteMode.self) }
        if let n = m["metadata_columns"] { spec.metadataColumns = try bool(n.value, at: "\(path).metadata_columns") }
        if let n = m["schema_sync"] { spec.schemaSync = try bool(n.value, at: "\(path).schema_sync") }
    }

    /// The keys a table's sync mode needs, and those it cannot take.
    func checkSyncModeKeys(_ m: Entries, of spec: TableSpec, nameKey: Node, at path: String) throws(ConfigError) {
        if spec.syncMode != .cdc {
            try reject(["deletes", "metadata_columns"], in: m) { "\(path): \($0) applies to sync_mode cdc only" }
        }
        if spec.syncMode == .cdc {
            try reject(["incremental_column", "incremental_type", "date_buffer_days", "fallback_to_full"], in: m) {
                "\(path): \($0) does not apply to sync_mode cdc (changes come from the WAL)"
            }
        } else if spec.syncMode != .fullReplace {
            guard spec.incrementalColumn != nil else {
                throw error(nameKey, "\(path): sync_mode \(spec.syncMode.rawValue) needs incremental_column")
            }
            guard let type = spec.incrementalType else {
                throw error(
                    nameKey,
                    "\(path): sync_mode \(spec.syncMode.rawValue) needs incremental_type (identity, date or datetime)")
            }
            if type == .identity && spec.dateBufferDays > 0 {
                throw error(
                    m["date_buffer_days"]?.key,
                    "\(path): date_buffer_days applies to incremental_type date or datetime, not identity")
            }
        } else if spec.incrementalType != nil && m["incremental_column"] == nil {
            throw error(
                m["incremental_type"]?.key, "\(path): incremental_type is set but incremental_column is missing")
        }
    }
}
