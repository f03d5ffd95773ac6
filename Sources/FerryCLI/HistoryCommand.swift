import ArgumentParser
import FerryConfig
import FerryCore
import FerryState
import Foundation

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past table runs from the audit store, newest first."
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table.")
    var table: String?

    @Option(name: .long, help: "How many table runs to show.")
    var limit = 20

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let config = try loadConfig(options.config)
        guard FileManager.default.fileExists(atPath: config.statePath) else {
            if json { print("[]") } else { print("no runs yet (state store \(config.statePath) does not exist)") }
            return
        }
        let records: [TableRunRecord]
        do {
            let store = try StateStore(path: config.statePath)
            records = try store.tableRuns(table: table, limit: limit)
        } catch {
            printError("error: \(error)")
            throw FerryExit.usage
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.dateEncodingStrategy = .custom { date, enc in
                var c = enc.singleValueContainer()
                try c.encode(ISO8601.string(date))
            }
            let data = (try? encoder.encode(records)) ?? Data("[]".utf8)
            print(String(decoding: data, as: UTF8.self))
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
}
