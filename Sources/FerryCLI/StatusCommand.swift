import ArgumentParser
import FerryConfig
import FerryCore
import FerryState
import Foundation

/// `ferry status`: each table's rows on both sides, watermark and last run; the cdc slot's position and lag.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each table: rows in source and target, sync mode, watermark, last run and its result.",
        discussion: """
            Reads both databases and the state store; changes nothing. A table that cannot be read is shown with \
            a note and does not change the exit code; a state store that exists but cannot be read does (4).

            Examples:
              ferry status -c ferry.yaml
              ferry status -c ferry.yaml --table orders --json

            \(FerryExit.help(0, 2, 4))
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table, as schema.name or its short name (repeatable).")
    var table: [String] = []

    @Flag(name: .long, help: "Print a JSON array, one object per table, instead of a table.")
    var json = false

    func run() throws {
        let config = try options.load()
        let specs = try selectTables(config, names: table)
        let store = try openExistingStateStore(config)
        let recorded = try readState { () throws(FerryError) in try RecordedState(store, specs: specs, config: config) }
        let source = Wiring.source(config.source, settings: config.settings)
        let destination = Wiring.destination(config.target, settings: config.settings, runStartedAt: 0)
        var slot: SlotStatus?
        if specs.contains(where: { $0.syncMode == .cdc }), case .postgres(let pg) = config.source {
            slot = SlotStatus.read(pg, settings: config.settings, pipeline: recorded.pipeline)
        }
        let statuses = specs.map { spec in
            var s = TableStatus.probe(
                spec, source: source, destination: destination, lastRun: recorded.lastRuns[spec.name.description],
                position: recorded.positions[spec.name.description])
            if spec.syncMode == .cdc { s.slot = slot }
            return s
        }
        if json {
            JSONOutput.print(statuses)
            return
        }
        print(TableStatus.render(statuses))
        if let slot { print(slot.text) }
        for s in statuses { s.notes.forEach { print($0) } }
    }
}

/// What the state store says about the selected tables, read up front so a store failure is an error (exit 4)
/// rather than a table shown as never run.
struct RecordedState {
    var lastRuns: [String: TableRunRecord] = [:]
    var positions: [String: CDCTableRecord] = [:]
    var pipeline: CDCPipelineRecord?

    init(_ store: StateStore?, specs: [TableSpec], config: PipelineConfig) throws(FerryError) {
        guard let store else { return }
        for spec in specs {
            lastRuns[spec.name.description] = try store.lastTableRun(table: spec.name.description)
        }
        guard specs.contains(where: { $0.syncMode == .cdc }) else { return }
        for record in try store.cdcTables(slot: config.cdc.slotName) { positions[record.table] = record }
        pipeline = try store.cdcPipeline(slot: config.cdc.slotName)
    }
}
