import ArgumentParser
import FerryConfig
import FerryCore
import FerryState
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each table: rows in source and target, sync mode, watermark, last run and its result."
    )

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    struct TableStatus {
        var table: String
        var syncMode: String
        var sourceRows: Int64?
        var targetRows: Int64?
        var watermark: String?
        var lastRun: TableRunRecord?
        var problem: String?
        var details: [(label: String, value: String)] = []
    }

    func run() throws {
        let config = try loadConfig(options.config)
        let store =
            FileManager.default.fileExists(atPath: config.statePath) ? try? StateStore(path: config.statePath) : nil
        let source = Wiring.source(config.source, settings: config.settings)
        let destination = Wiring.destination(config.target, settings: config.settings, runStartedAt: 0)
        var statuses: [TableStatus] = []
        for spec in config.tables {
            var s = TableStatus(table: spec.name.description, syncMode: spec.syncMode.rawValue)
            s.lastRun = try? store?.lastTableRun(table: spec.name.description)
            do throws(FerryError) {
                let reader = try source.openReader(spec.name)
                defer { reader.close() }
                s.sourceRows = try reader.count(filter: nil)
            } catch {
                s.problem = "source: \(error.message)"
            }
            do throws(FerryError) {
                let writer = try destination.openWriter(spec.targetName)
                defer { writer.close() }
                if let existing = try writer.existingSchema() {
                    s.targetRows = try writer.rowCount()
                    if let d = writer as? any TargetDetails { s.details = try d.details() }
                    if let col = spec.incrementalColumn, let c = existing.column(named: col) {
                        s.watermark = try writer.maxValue(of: col, type: c.type)?.description
                    }
                } else {
                    s.targetRows = nil
                    s.problem = s.problem ?? "target table does not exist yet"
                }
            } catch {
                s.problem = (s.problem.map { $0 + "; " } ?? "") + "target: \(error.message)"
            }
            statuses.append(s)
        }
        if json {
            print(
                Format.json(
                    statuses.map { s -> [String: Any] in
                        var o: [String: Any] = ["table": s.table, "sync_mode": s.syncMode]
                        o["source_rows"] = s.sourceRows.map { NSNumber(value: $0) } ?? NSNull()
                        o["target_rows"] = s.targetRows.map { NSNumber(value: $0) } ?? NSNull()
                        o["watermark"] = s.watermark ?? NSNull()
                        o["last_run_at"] = s.lastRun.map { ISO8601.string($0.finishedAt) } ?? NSNull()
                        o["last_result"] = s.lastRun?.status ?? NSNull()
                        o["last_rows_written"] = s.lastRun.map { NSNumber(value: $0.rowsWritten) } ?? NSNull()
                        o["last_error"] = s.lastRun?.error ?? NSNull()
                        o["problem"] = s.problem ?? NSNull()
                        if !s.details.isEmpty {
                            o["target"] = Dictionary(s.details.map { ($0.label, $0.value) }, uniquingKeysWith: { $1 })
                        }
                        return o
                    }))
            return
        }
        let rows = statuses.map { s in
            [
                s.table, s.syncMode, s.sourceRows.map(String.init) ?? "?", s.targetRows.map(String.init) ?? "-",
                s.sourceRows != nil && s.sourceRows == s.targetRows ? "yes" : "no", s.watermark ?? "-",
                s.lastRun.map { ISO8601.string($0.finishedAt) } ?? "never", s.lastRun?.status ?? "-",
            ]
        }
        print(
            Format.table(
                ["table", "mode", "source rows", "target rows", "in sync", "watermark", "last run", "result"], rows))
        for s in statuses {
            if !s.details.isEmpty {
                print("  \(s.table): " + s.details.map { "\($0.label) \($0.value)" }.joined(separator: ", "))
            }
            if let p = s.problem { print("  note: \(s.table): \(p)") }
            if let e = s.lastRun?.error { print("  last error: \(s.table): \(e)") }
        }
    }
}
