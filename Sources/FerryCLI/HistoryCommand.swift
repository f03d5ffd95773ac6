import ArgumentParser
import FerryConfig
import FerryCore
import FerryState
import Foundation

/// `ferry history`: the audit trail of table runs.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past table runs from the audit store, newest first.",
        discussion: """
            Every table run is listed with its mode, result, rows, watermark, time and error; dry runs too.

            Examples:
              ferry history -c ferry.yaml
              ferry history -c ferry.yaml --table orders --table customers --limit 5 --json

            \(FerryExit.help(0, 2, 4))
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table, as schema.name or its short name (repeatable).")
    var table: [String] = []

    @Option(name: .long, help: "How many table runs to show.")
    var limit = 20

    @Flag(name: .long, help: "Print a JSON array, one object per table run, instead of a table.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be 1 or more") }
    }

    func run() throws {
        let config = try options.load()
        let specs = try selectTables(config, names: table)
        guard let store = try openExistingStateStore(config) else {
            if json { print("[]") } else { print("no runs yet (state store \(config.statePath) does not exist)") }
            return
        }
        let records = try readState { () throws(FerryError) in
            // The store is asked by the config's name of each table: that is what runs are recorded under.
            guard !table.isEmpty else { return try store.tableRuns(limit: limit) }
            var all: [TableRunRecord] = []
            for spec in specs { all += try store.tableRuns(table: spec.name.description, limit: limit) }
            return Array(all.sorted { $0.startedAt > $1.startedAt }.prefix(limit))
        }
        if json {
            JSONOutput.print(records.map(Entry.init))
            return
        }
        let rows = records.map { r in
            [
                ISO8601.string(r.startedAt), String(r.runId.prefix(8)), r.table, r.modeChosen, r.status,
                String(r.rowsWritten), r.watermarkAfter ?? "-", Format.seconds(r.durationSeconds), r.error ?? "",
            ]
        }
        print(Format.table(["started", "run", "table", "mode", "result", "rows", "watermark", "time", "error"], rows))
    }

    /// One table run in `--json`, encoded like `status --json` (snake_case, the same dates).
    struct Entry: Encodable {
        var runId: String
        var table: String
        var syncMode: String
        var modeChosen: String
        var strategy: String
        var status: String
        var rowsRead: Int64
        var rowsWritten: Int64
        var bytes: Int64
        var watermarkBefore: String?
        var watermarkAfter: String?
        var startedAt: Date
        var finishedAt: Date
        var durationSeconds: Double
        var attempts: Int
        var error: String?

        init(_ r: TableRunRecord) {
            runId = r.runId
            table = r.table
            syncMode = r.syncMode
            modeChosen = r.modeChosen
            strategy = r.strategy
            status = r.status
            rowsRead = r.rowsRead
            rowsWritten = r.rowsWritten
            bytes = r.bytes
            watermarkBefore = r.watermarkBefore
            watermarkAfter = r.watermarkAfter
            startedAt = r.startedAt
            finishedAt = r.finishedAt
            durationSeconds = r.durationSeconds
            attempts = r.attempts
            error = r.error
        }
    }
}
