import Foundation

/// A database named on `ferry init`'s command line: `postgres://[user@]host[:port]/db`, `sqlite:PATH` or
/// `delta:PATH`.
///
/// A URL never carries a password: it would end up in shell history and process listings, and the config Ferry
/// writes must name environment variables instead.
enum InitEndpoint: Equatable {
    case postgres(host: String, port: Int, database: String, user: String?)
    case sqlite(path: String)
    case delta(path: String)

    /// Parses `text`, or returns the one-line error naming `flag`.
    static func parse(_ text: String, flag: String) -> Result<InitEndpoint, InitEndpointError> {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            if path.isEmpty {
                return .failure(InitEndpointError("\(flag) sqlite: needs a path, as in sqlite:./shop.db"))
            }
            return .success(.sqlite(path: path))
        }
        if text.hasPrefix("delta:") {
            let path = String(text.dropFirst("delta:".count))
            if path.isEmpty { return .failure(InitEndpointError("\(flag) delta: needs a path, as in delta:./lake")) }
            return .success(.delta(path: path))
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let url = URLComponents(string: text), let host = url.host, !host.isEmpty
        else {
            return .failure(
                InitEndpointError(
                    "\(flag) \(text) is not postgres://[user@]HOST[:PORT]/DB, sqlite:PATH or delta:PATH"))
        }
        if url.password != nil {
            return .failure(
                InitEndpointError(
                    "\(flag) must not carry a password: remove it from the URL and set SOURCE_DB_PASSWORD "
                        + "(TARGET_DB_PASSWORD for --target) in the environment"))
        }
        let database = String(url.path.drop { $0 == "/" })
        if database.isEmpty || database.contains("/") {
            return .failure(
                InitEndpointError("\(flag) \(text) names no database: add /DB, as in postgres://db:5432/prod"))
        }
        let port = url.port ?? 5432
        if !(1...65535).contains(port) { return .failure(InitEndpointError("\(flag) port \(port) is not 1-65535")) }
        return .success(.postgres(host: host, port: port, database: database, user: url.user))
    }
}

/// Why a `ferry init` database argument was refused: one line naming the flag.
struct InitEndpointError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
