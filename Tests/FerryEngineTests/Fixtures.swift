import FerryCore
import FerryEngine
import FerrySQLite
import FerryState
import FerryTestKit
import Foundation
import GRDB
import Testing

/// Table contents rendered as comparable text rows, sorted: what "the target equals the source" means in tests.
func contents(_ source: any Source, _ table: String) throws -> [[String]] {
    let reader = try source.openReader(TableName(parsing: table))
    defer { reader.close() }
    let columns = reader.schema.columns
    var rows: [[String]] = []
    _ = try reader.read(filter: nil, limit: nil, batchSize: 10_000) { (b: RecordBatch) throws(FerryError) in
        for r in 0..<b.rowCount {
            rows.append(
                columns.indices.map { i in
                    if b.vectors[i].isNull(r) { return "NULL" }
                    if columns[i].type == .bytes {
                        return b.vectors[i].bytes(at: r).map { String(format: "%02x", $0) }.joined()
                    }
                    if columns[i].type == .time { return TimeText.formatTime(micros: b.vectors[i].int64(at: r)) }
                    return ScalarValue(vector: b.vectors[i], row: r, type: columns[i].type)?.description ?? "NULL"
                })
        }
    }
    return rows.sorted { $0.lexicographicallyPrecedes($1) }
}

/// A Delta table's rows through delta-rs, rendered like `contents` renders a source.
func deltaContents(_ path: String) throws -> [[String]] {
    let read = try Python.json(
        Python.readDelta + """
            import sys, json, pyarrow as pa
            t = read_delta(sys.argv[1])
            def text(v, ty):
                if v is None: return "NULL"
                if pa.types.is_boolean(ty): return "1" if v else "0"
                if pa.types.is_decimal(ty): return format(v, "f")
                if pa.types.is_binary(ty): return v.hex()
                if pa.types.is_floating(ty): return repr(float(v))
                return str(v)
            cols = [[text(v, t.schema.field(i).type) for v in t.column(i).to_pylist()] for i in range(t.num_columns)]
            print(json.dumps(sorted([list(r) for r in zip(*cols)])))
            """, [path])
    guard let rows = read as? [[String]] else {
        throw Python.Failure(description: "the Delta table \(path) read as \(read), not a list of rows")
    }
    return rows
}

/// Asserts that the target table holds exactly the source table's rows.
func expectSameContents(_ f: ShopFixture, _ table: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let target = try contents(f.target, table)
    let source = try contents(f.source, table)
    #expect(target == source, sourceLocation: sourceLocation)
}

/// Collects outcomes and confirmations for assertions.
final class Recorder: ProgressObserver, ReplaceConfirmation, @unchecked Sendable {
    let lock = NSLock()
    var confirmations: [String] = []
    var answer = false

    func started(table: String, plan: TablePlan) {}
    func progress(table: String, rows: Int64, bytes: Int64) {}
    func finished(_ outcome: TableOutcome) {}

    func confirmReplace(table: String, targetRows: Int64) -> Bool {
        lock.withLock {
            confirmations.append(table)
            return answer
        }
    }
}

/// A small shop-like SQLite source that tests mutate between runs.
struct ShopFixture {
    let dir = TempDirectory("ferry-engine")
    var sourcePath: String { dir.file("source.db") }
    var targetPath: String { dir.file("target.db") }
    var source: SQLiteSource { SQLiteSource(path: sourcePath) }
    var target: SQLiteSource { SQLiteSource(path: targetPath) }
    var destination: SQLiteDestination { SQLiteDestination(path: targetPath) }

    init(events: Int = 100) throws {
        let q = try DatabaseQueue(path: sourcePath)
        try q.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount DECIMAL(12,2),
                        happened_at TIMESTAMPTZ NOT NULL, day DATE NOT NULL, note TEXT);
                    CREATE INDEX events_kind ON events (kind);
                    CREATE TABLE logs (line TEXT, at TIMESTAMP NOT NULL);
                    """)
            for i in 1...events { try Self.insertEvent(db, id: i, day: 19_000 + Int64(i)) }
            try db.execute(
                sql: "INSERT INTO logs VALUES ('boot', '2024-01-01 00:00:00'), ('ready ✓', '2024-01-02 00:00:00')")
        }
    }

    static func insertEvent(_ db: Database, id: Int, day: Int64) throws {
        try db.execute(
            sql: "INSERT INTO events (id, kind, amount, happened_at, day, note) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                id, ["click", "view", "buy"][id % 3], id % 7 == 0 ? nil : "\(id).\(id % 100)",
                TimeText.formatTimestamp(micros: day * 86_400_000_000 + Int64(id) * 1_000_001, zoned: true),
                TimeText.formatDate(days: day), id % 5 == 0 ? nil : "note \(id) ✓",
            ])
    }

    func source(_ sql: String, _ args: StatementArguments = []) throws {
        try DatabaseQueue(path: sourcePath).write { db in try db.execute(sql: sql, arguments: args) }
    }

    func writeSource(_ body: (Database) throws -> Void) throws {
        try DatabaseQueue(path: sourcePath).write { db in try body(db) }
    }

    func writeTarget(_ body: (Database) throws -> Void) throws {
        try DatabaseQueue(path: targetPath).write { db in try body(db) }
    }

    func targetScalar(_ sql: String) throws -> Int {
        try DatabaseQueue(path: targetPath).read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    func engine(dryRun: Bool = false, force: Bool = true, store: StateStore? = nil, recorder: Recorder? = nil) -> Engine
    {
        Engine(
            source: source, destination: destination, recorder: store, workers: 2, retry: RetryPolicy(maxRetries: 0),
            dryRun: dryRun, force: force, confirmation: recorder, observer: recorder)
    }
}
