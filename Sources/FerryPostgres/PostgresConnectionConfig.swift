/// Where and how to reach one PostgreSQL database.
///
/// Kept apart from libpq so the config layer can build it without touching C, and so the conninfo quoting, which
/// is easy to get wrong for passwords with quotes or backslashes, lives in one tested place.
public struct PostgresConnectionConfig: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var database: String
    /// `nil` lets libpq pick its default (`PGUSER` or the OS user).
    public var user: String?
    /// Never appears in any message or description; only in `conninfo()`.
    public var password: String?
    /// Seconds libpq waits for the connection to be established (`connect_timeout`); 0 waits forever.
    public var connectTimeout: Int
    /// Seconds after which the server cancels a statement (`statement_timeout`); `nil` keeps the server's setting.
    public var commandTimeout: Int?
    /// Shown in `pg_stat_activity`, so a DBA can tell Ferry's sessions apart.
    public var applicationName: String
    /// libpq `sslmode` (`disable`, `prefer`, `require`, `verify-full`, ...); `nil` keeps libpq's default.
    public var sslMode: String?
    /// Extra server options appended to the `options` connection parameter, such as `-c search_path=app`.
    public var options: String?

    public init(
        host: String = "localhost",
        port: Int = 5432,
        database: String,
        user: String? = nil,
        password: String? = nil,
        connectTimeout: Int = 30,
        commandTimeout: Int? = nil,
        applicationName: String = "ferry",
        sslMode: String? = nil,
        options: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.applicationName = applicationName
        self.sslMode = sslMode
        self.options = options
    }

    /// Session settings every Ferry connection pins, so that text renderings (`max(col)::text`, unmapped types read
    /// as text) are the same whatever the server or role defaults are.
    static let pinnedSettings =
        "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 "
        + "-c standard_conforming_strings=on"

    /// The libpq connection string. Contains the password: pass it to libpq only, never log it.
    public func conninfo() -> String {
        var pairs: [(String, String)] = [
            ("host", host), ("port", String(port)), ("dbname", database),
        ]
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        pairs.append(("connect_timeout", String(max(0, connectTimeout))))
        pairs.append(("application_name", applicationName))
        pairs.append(("client_encoding", "UTF8"))
        if let sslMode { pairs.append(("sslmode", sslMode)) }
        var serverOptions = Self.pinnedSettings
        if let commandTimeout, commandTimeout > 0 {
            serverOptions += " -c statement_timeout=\(commandTimeout * 1000)"
        }
        if let options, !options.isEmpty { serverOptions += " " + options }
        pairs.append(("options", serverOptions))
        return pairs.map { "\($0.0)=\(Self.quoteConninfoValue($0.1))" }.joined(separator: " ")
    }

    /// `postgres://user@host:port/db`: safe for logs and messages (no password).
    public var redactedDescription: String {
        let who = user.map { "\($0)@" } ?? ""
        return "postgres://\(who)\(host):\(port)/\(database)"
    }

    /// Quotes a conninfo value: wrapped in single quotes, with `'` and `\` backslash-escaped.
    public static func quoteConninfoValue(_ value: String) -> String {
        var out = "'"
        for ch in value {
            if ch == "'" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        out.append("'")
        return out
    }
}
