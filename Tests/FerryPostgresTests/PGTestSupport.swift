import FerryCore
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

/// A fresh database in the shared throwaway cluster.
struct PGTestDB {
    let cluster: PostgresCluster
    let name: String

    static func make() throws -> PGTestDB {
        let cluster = try PostgresCluster.shared()
        return PGTestDB(cluster: cluster, name: try cluster.createDatabase())
    }

    var config: PostgresConnectionConfig {
        PostgresConnectionConfig(
            host: cluster.host, port: cluster.port, database: name, user: cluster.superuser, connectTimeout: 10,
            commandTimeout: 60)
    }

    var source: PostgresSource { PostgresSource(config: config) }
    var destination: PostgresDestination { PostgresDestination(config: config) }

    /// Runs SQL with psql; returns its trimmed output.
    @discardableResult
    func sql(_ text: String) throws -> String {
        try cluster.psql(text, database: name).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A whole table's contents as text, one row per line in `id` order (small tables only): comparing these
    /// compares every value, and a mismatch shows which.
    func fingerprint(_ table: String) throws -> String {
        try sql("SELECT count(*) || E':\\n' || coalesce(string_agg(t::text, E'\\n' ORDER BY id), '') FROM \(table) t")
    }
}

/// Expects `table` in `src` and `target` (default: the same name) in `dst` to hold the same rows.
func expectSameRows(
    _ src: PGTestDB, _ dst: PGTestDB, _ table: String, _ target: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let expected = try src.fingerprint(table)
    let actual = try dst.fingerprint(target ?? table)
    #expect(actual == expected, sourceLocation: sourceLocation)
}

/// Reads a whole table through `PostgresSource`.
func readAll(
    _ db: PGTestDB, _ table: String, filter: RowFilter? = nil, limit: Int? = nil, batchSize: Int = 1000
) throws -> (schema: TableSchema, batches: [RecordBatch], total: Int64) {
    let reader = try db.source.openReader(TableName(parsing: table))
    defer { reader.close() }
    var batches: [RecordBatch] = []
    let total = try reader.read(filter: filter, limit: limit, batchSize: batchSize) {
        (b: RecordBatch) throws(FerryError) in
        batches.append(b)
    }
    return (reader.schema, batches, total)
}

/// Copies `table` from `src` to `dst` through the connectors, as the engine does (without its threads).
@discardableResult
func transfer(
    from src: PGTestDB, to dst: PGTestDB, table: String, target: String? = nil, mode: WriteMode,
    filter: RowFilter? = nil, batchSize: Int = 1000
) throws -> Int64 {
    let reader = try src.source.openReader(TableName(parsing: table))
    defer { reader.close() }
    let writer = try dst.destination.openWriter(TableName(parsing: target ?? table))
    defer { writer.close() }
    try writer.recover()
    try writer.begin(schema: reader.schema, mode: mode)
    do {
        _ = try reader.read(filter: filter, limit: nil, batchSize: batchSize) { (b: RecordBatch) throws(FerryError) in
            try writer.write(b)
        }
        return try writer.commit()
    } catch {
        writer.abort()
        throw error
    }
}

/// Micros since 1970 of an ISO timestamp, via FerryCore's exact parser.
func micros(_ text: String) -> Int64 {
    TimeText.parseTimestamp(text)?.micros ?? Int64.min
}

extension RecordBatch {
    /// The column named `name`.
    func vector(_ name: String) -> ColumnVector? {
        columns.firstIndex { $0.name == name }.map { vectors[$0] }
    }
}
