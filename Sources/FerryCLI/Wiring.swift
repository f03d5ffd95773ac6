import FerryConfig
import FerryCore
import FerryDelta
import FerryPostgres
import FerrySQLite
import Foundation

/// Builds connectors from the config. The only place that knows every concrete connector.
enum Wiring {
    static func source(_ db: DatabaseConfig, settings: Settings) -> any Source {
        switch db {
        case .sqlite(let path): SQLiteSource(path: path)
        case .postgres(let pg): PostgresSource(config: connection(pg, settings: settings))
        case .delta(let path, _, _): DeltaSource(root: path)
        }
    }

    /// `runStartedAt` (ms) versions the Delta `txn` of this run, so a retried commit is recognised.
    static func destination(
        _ db: DatabaseConfig, settings: Settings, runStartedAt: Int64, tables: [TableSpec] = [], runId: String? = nil
    ) -> any Destination {
        switch db {
        case .sqlite(let path): return SQLiteDestination(path: path)
        case .postgres(let pg): return PostgresDestination(config: connection(pg, settings: settings))
        case .delta(let path, let compression, let deletionVectors):
            let partitions = Dictionary(
                tables.filter { !$0.partitionBy.isEmpty }.map { ($0.targetName.name, $0.partitionBy) },
                uniquingKeysWith: { a, _ in a })
            var options = DeltaWriteOptions(
                transactionVersion: runStartedAt, engineInfo: "ferry/\(Ferry.version)",
                runId: runId ?? UUID().uuidString.lowercased(), deletionVectors: deletionVectors)
            options.compression = compression
            options.warn = { printError("warning: " + $0) }
            return DeltaDestination(
                root: path, options: options,
                partitions: partitions)
        }
    }

    /// The Delta tables under `root`, for maintenance (`ferry vacuum`): no run, so no txn version or run id.
    static func lake(_ root: String) -> DeltaDestination { DeltaDestination(root: root) }

    /// The change stream of a PostgreSQL source (sync_mode cdc tables).
    static func changeSource(_ pg: PostgresDatabase, settings: Settings) -> any ChangeSource {
        PostgresChangeSource(
            config: connection(pg, settings: settings), slotName: pg.cdc.slotName,
            publicationName: pg.cdc.publicationName)
    }

    /// Random changes in a PostgreSQL source (`ferry simulate`); built here like every other connector.
    static func simulator(_ pg: PostgresDatabase, settings: Settings) -> PostgresSimulator {
        PostgresSimulator(config: connection(pg, settings: settings))
    }

    /// The catalog `ferry init` reads: PostgreSQL credentials from SOURCE_DB_USER / SOURCE_DB_PASSWORD (a user in
    /// the URL wins), never from the command line's password.
    static func catalog(_ source: InitEndpoint, environment: [String: String]) -> any SourceCatalog {
        switch source {
        case .sqlite(let path), .delta(let path): return SQLiteSourceCatalog(path: path)
        case .postgres(let host, let port, let database, let user):
            return PostgresSourceCatalog(
                config: PostgresConnectionConfig(
                    host: host, port: port, database: database, user: user ?? environment["SOURCE_DB_USER"],
                    password: environment["SOURCE_DB_PASSWORD"]))
        }
    }

    static func connection(_ pg: PostgresDatabase, settings: Settings) -> PostgresConnectionConfig {
        PostgresConnectionConfig(
            host: pg.host, port: pg.port, database: pg.database, user: pg.user, password: pg.password,
            connectTimeout: settings.connectionTimeout,
            commandTimeout: settings.commandTimeout > 0 ? settings.commandTimeout : nil, sslMode: pg.sslMode)
    }

    /// `sqlite:./shop.db`, `postgres://host:5432/db` or `delta:./lake`, never with credentials.
    static func describe(_ db: DatabaseConfig) -> String {
        switch db {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let pg): "postgres://\(pg.host):\(pg.port)/\(pg.database)"
        case .delta(let path, _, _): "delta:\(path)"
        }
    }
}
