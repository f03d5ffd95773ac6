import FerryCore
import Foundation
import Yams

/// `databases.source` and `databases.target`: one reader per database type.
extension NodeReader {
    typealias Entries = [String: (key: Node, value: Node)]

    static let databaseTypes = ["postgres", "sqlite", "delta"]
    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    static let compressions = FileCompression.allCases.map(\.rawValue)

    func database(_ node: Node, role: String) throws(ConfigError) -> DatabaseConfig {
        let path = "databases.\(role)"
        try rejectCredentials(node, role: role, at: path)
        let m = try mapping(node, at: path, allowed: Self.databaseKeys)
        guard let typeNode = m["type"] else {
            throw error(node, "\(path) needs a type: \(Self.databaseTypes.joined(separator: ", "))")
        }
        let type = try string(typeNode.value, at: "\(path).type")
        switch type {
        case "sqlite": return try sqlite(m, node: node, at: path)
        case "postgres", "postgresql": return try postgres(m, node: node, role: role, at: path)
        case "delta":
            if role != "target" {
                // A lake read back: the source takes the path only.
                try reject(["compression", "deletion_vectors"], in: m) { "\(path).\($0) applies to a delta target" }
            }
            return try delta(m, node: node, at: path)
        default:
            let hint = Suggestion.closest(to: type, in: Self.databaseTypes).map { "; did you mean '\($0)'?" } ?? ""
            throw error(
                typeNode.value, "\(path).type must be postgres, sqlite or delta, got \(Echo.quote(type))\(hint)")
        }
    }

    /// A user or password key in the file: refused, naming the environment variable to use instead.
    func rejectCredentials(_ node: Node, role: String, at path: String) throws(ConfigError) {
        guard let map = node.mapping else { return }
        for (k, _) in map {
            guard let key = k.string, Self.forbiddenCredentialKeys.contains(key) else { continue }
            let isPassword = key.hasPrefix("p")
            let env = "\(role.uppercased())_DB_\(isPassword ? "PASSWORD" : "USER")"
            throw error(
                k,
                "\(path).\(key): credentials are never read from the config file; remove it and set \(env) in the environment (or name another variable with \(isPassword ? "password_env" : "user_env"))"
            )
        }
    }

    /// Refuses the first of `keys` present in `m`.
    func reject(_ keys: [String], in m: Entries, because reason: (String) -> String) throws(ConfigError) {
        for key in keys where m[key] != nil {
            throw error(m[key]?.key, reason(key))
        }
    }

    func sqlite(_ m: Entries, node: Node, at path: String) throws(ConfigError) -> DatabaseConfig {
        try reject(
            [
                "host", "server", "port", "database", "user_env", "password_env", "sslmode", "compression", "cdc",
                "deletion_vectors",
            ], in: m
        ) { "\(path).\($0) does not apply to a sqlite database (it takes only 'path')" }
        guard let p = m["path"] else { throw error(node, "\(path) (sqlite) needs a path to the database file") }
        return .sqlite(path: resolve(try self.path(p.value, at: "\(path).path")))
    }

    func postgres(_ m: Entries, node: Node, role: String, at path: String) throws(ConfigError) -> DatabaseConfig {
        if let p = m["path"] {
            throw error(p.key, "\(path).path applies to sqlite; a postgres database takes host, port and database")
        }
        try reject(["deletion_vectors", "compression"], in: m) { "\(path).\($0) applies to a delta target" }
        var host = "localhost"
        if let n = m["host"] ?? m["server"] {
            host = try string(n.value, at: "\(path).host", maxBytes: ConfigLimits.hostBytes)
        }
        var port = 5432
        if let n = m["port"] { port = try int(n.value, at: "\(path).port", in: ConfigLimits.port) }
        guard let dbNode = m["database"] else { throw error(node, "\(path) (postgres) needs a database name") }
        let database = try string(
            dbNode.value, at: "\(path).database", maxBytes: ConfigLimits.postgresIdentifierBytes)
        var userEnv = "\(role.uppercased())_DB_USER"
        if let n = m["user_env"] { userEnv = try environmentName(n.value, at: "\(path).user_env") }
        var passwordEnv = "\(role.uppercased())_DB_PASSWORD"
        if let n = m["password_env"] { passwordEnv = try environmentName(n.value, at: "\(path).password_env") }
        var sslMode: String?
        if let n = m["sslmode"] {
            sslMode = try choice(n.value, at: "\(path).sslmode", among: Self.sslModes) {
                Self.sslModes.contains($0) ? $0 : nil
            }
        }
        var cdc = CDCSettings()
        if let c = m["cdc"] {
            guard role == "source" else {
                throw error(c.key, "\(path).cdc applies to the source database (where changes are read)")
            }
            cdc = try self.cdc(c.value, at: "\(path).cdc")
        }
        guard let user = environment[userEnv], !user.isEmpty else {
            throw error(
                m["type"]?.key,
                "\(path): environment variable \(userEnv) is not set; export the database user there (credentials are never read from the config file)"
            )
        }
        var db = PostgresDatabase(
            host: host, port: port, database: database, user: user, password: environment[passwordEnv],
            sslMode: sslMode, userEnv: userEnv, passwordEnv: passwordEnv)
        db.cdc = cdc
        return .postgres(db)
    }

    func delta(_ m: Entries, node: Node, at path: String) throws(ConfigError) -> DatabaseConfig {
        try reject(["host", "server", "port", "database", "user_env", "password_env", "sslmode", "cdc"], in: m) {
            "\(path).\($0) does not apply to a delta database (it takes path, and as a target compression and "
                + "deletion_vectors)"
        }
        guard let p = m["path"] else {
            throw error(node, "\(path) (delta) needs a path: the directory of the lake")
        }
        var compression = FileCompression.zstd
        if let c = m["compression"] {
            compression = try choice(c.value, at: "\(path).compression", among: Self.compressions) {
                FileCompression(rawValue: $0)
            }
        }
        var deletionVectors = true
        if let n = m["deletion_vectors"] { deletionVectors = try bool(n.value, at: "\(path).deletion_vectors") }
        return .delta(
            path: resolve(try self.path(p.value, at: "\(path).path")), compression: compression,
            deletionVectors: deletionVectors)
    }

    func cdc(_ node: Node, at path: String) throws(ConfigError) -> CDCSettings {
        let m = try mapping(node, at: path, allowed: Self.cdcKeys)
        var c = CDCSettings()
        if let n = m["slot_name"] { c.slotName = try identifier(n.value, at: "\(path).slot_name") }
        if let n = m["publication_name"] { c.publicationName = try identifier(n.value, at: "\(path).publication_name") }
        if let n = m["batch_max_rows"] {
            c.batchMaxRows = try int(n.value, at: "\(path).batch_max_rows", in: ConfigLimits.cdcBatchRows)
        }
        if let n = m["batch_max_seconds"] {
            c.batchMaxSeconds = try number(
                n.value, at: "\(path).batch_max_seconds", in: ConfigLimits.cdcBatchSeconds, unit: "seconds")
        }
        if let n = m["batch_max_memory"] {
            c.batchMaxBytes = try byteSize(n.value, at: "\(path).batch_max_memory", in: ConfigLimits.cdcBatchBytes)
        }
        if let n = m["max_retained_wal"] {
            c.maxRetainedWAL = try byteSize(n.value, at: "\(path).max_retained_wal", in: ConfigLimits.maxRetainedWAL)
        }
        return c
    }
}
