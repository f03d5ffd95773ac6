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
        let cdcTables = Dictionary(
            ((try? store?.cdcTables(slot: config.cdc.slotName)) ?? []).map { ($0.table, $0) }, uniquingKeysWith: { $1 })
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
            if spec.syncMode == .cdc, let record = cdcTables[spec.name.description] {
                s.watermark = record.position.description
                s.details.append(("applied LSN", record.position.description))
                s.details.append(("last source commit", record.lastCommitAt.map(ISO8601.string) ?? "-"))
                s.details.append(("changes applied", String(record.changesApplied)))
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
        if let cdc = cdcStatus(config, store: store) { print(cdc) }
        for s in statuses {
            if !s.details.isEmpty {
                print("  \(s.table): " + s.details.map { "\($0.label) \($0.value)" }.joined(separator: ", "))
            }
            if let p = s.problem { print("  note: \(s.table): \(p)") }
            if let e = s.lastRun?.error { print("  last error: \(s.table): \(e)") }
        }
    }
}

extension StatusCommand {
    /// The slot of the cdc tables: position, lag, WAL kept on the source (with a warning above the limit).
    func cdcStatus(_ config: PipelineConfig, store: StateStore?) -> String? {
        guard config.tables.contains(where: { $0.syncMode == .cdc }), case .postgres(let pg) = config.source else {
            return nil
        }
        let cdc = pg.cdc
        let record = try? store?.cdcPipeline(slot: cdc.slotName)
        var lines = ["", "cdc slot \(cdc.slotName) (publication \(cdc.publicationName)):"]
        do throws(FerryError) {
            guard let slot = try Wiring.changeSource(pg, settings: config.settings).slotState() else {
                lines.append(
                    "  the slot does not exist on the source"
                        + (record == nil
                            ? " yet; ferry run creates it" : "; resynchronise with ferry cleanup then ferry run"))
                return lines.joined(separator: "\n")
            }
            let confirmed = slot.confirmedFlush
            let lagBytes = confirmed.map { Int64(bitPattern: slot.currentLSN.rawValue &- $0.rawValue) } ?? 0
            var lagSeconds = 0.0
            if lagBytes > 0, let updated = record?.updatedAt { lagSeconds = Date().timeIntervalSince(updated) }
            lines.append(
                "  state:            \(slot.invalidated ? "INVALIDATED" : slot.walStatus ?? "-"), \(slot.active ? "active" : "idle")"
            )
            lines.append(
                "  applied through:  \(record?.appliedThrough.map { "\($0)" } ?? "-") (confirmed \(confirmed.map { "\($0)" } ?? "-"), server at \(slot.currentLSN))"
            )
            lines.append("  last commit:      \(record?.lastCommitAt.map(ISO8601.string) ?? "-")")
            lines.append("  lag:              \(Format.bytes(lagBytes)), \(String(format: "%.0f", lagSeconds)) s")
            lines.append("  WAL retained:     \(Format.bytes(slot.retainedBytes))")
            if slot.retainedBytes > cdc.maxRetainedWAL {
                lines.append(
                    "  warning: the slot keeps \(Format.bytes(slot.retainedBytes)) of WAL on the source, more than "
                        + "cdc.max_retained_wal (\(Format.bytes(cdc.maxRetainedWAL))); run ferry run (or --follow) to "
                        + "consume it, or ferry cleanup if the pipeline is abandoned")
            }
        } catch {
            lines.append("  cannot read the slot: \(error.message)")
        }
        return lines.joined(separator: "\n")
    }
}
