public import FerryCore

/// A database as the config describes it, with credentials already resolved from the environment.
public enum DatabaseConfig: Sendable, Hashable {
    case postgres(PostgresDatabase)
    case sqlite(path: String)
    /// A directory of Delta Lake tables (targets only); `compression` is zstd, snappy, gzip or none.
    /// `deletionVectors`: changes of cdc tables mark replaced rows in deletion vectors instead of rewriting files.
    case delta(path: String, compression: FileCompression, deletionVectors: Bool = true)

    public var kind: String {
        switch self {
        case .postgres: "postgres"
        case .sqlite: "sqlite"
        case .delta: "delta"
        }
    }
}

/// A PostgreSQL server and database. `user` and `password` come from environment variables only.
public struct PostgresDatabase: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var database: String
    public var user: String?
    public var password: String?
    public var sslMode: String?
    /// Names of the environment variables the credentials came from, for messages.
    public var userEnv: String
    public var passwordEnv: String
    /// Logical replication settings, for tables with `sync_mode: cdc`.
    public var cdc = CDCSettings()

    public init(
        host: String, port: Int, database: String, user: String?, password: String?, sslMode: String?,
        userEnv: String, passwordEnv: String
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.sslMode = sslMode
        self.userEnv = userEnv
        self.passwordEnv = passwordEnv
    }
}

/// Run-wide settings (`settings:` in the config).
public struct Settings: Sendable, Hashable {
    public var defaultBatchSize = 5000
    public var connectionTimeout = 30
    public var commandTimeout = 300
    public var maxRetries = 3
    public var workers = 2
    public var dryRun = false
    public var verboseLogging = false
    /// Ask before a destructive replace of a non-empty target.
    public var confirm = true

    public init() {}
}

/// A validated config file: what `ferry run` executes.
public struct PipelineConfig: Sendable {
    /// The config file's path, as given.
    public var path: String
    /// SHA-free fingerprint of the file contents, recorded with every run.
    public var hash: String
    public var source: DatabaseConfig
    public var target: DatabaseConfig
    public var statePath: String
    public var tables: [TableSpec]
    public var settings: Settings

    /// The CDC settings of the source (defaults when the source has none).
    public var cdc: CDCSettings {
        if case .postgres(let pg) = source { return pg.cdc }
        return CDCSettings()
    }

    public init(
        path: String, hash: String, source: DatabaseConfig, target: DatabaseConfig, statePath: String,
        tables: [TableSpec], settings: Settings
    ) {
        self.path = path
        self.hash = hash
        self.source = source
        self.target = target
        self.statePath = statePath
        self.tables = tables
        self.settings = settings
    }
}

/// A config problem, located in the file.
///
/// `message` is one line that names the key and echoes at most a short part of the bad value; `description` puts
/// `file:line:column:` before it (libyaml's reader errors and non-UTF-8 bytes also name the byte offset).
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int?, column: Int?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        // Messages are built to be one line; a stray newline must still not split the error over lines.
        let flat =
            message.contains(where: \.isNewline)
            ? message.split(whereSeparator: \.isNewline).joined(separator: " ") : message
        return s + ": " + flat
    }
}
