import ArgumentParser
import FerryConfig
import FerryCore
import FerryPostgres
import Foundation

/// `ferry simulate`: random changes in the source, to watch CDC carry them.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Make random inserts, updates and deletes in the source tables (for testing CDC).",
        discussion: """
            Each table gets its changes in one transaction, with values the server generates from the column \
            types. Without --table: every cdc table, or every table when none is cdc.

            Examples:
              ferry simulate -c ferry.yaml
              ferry simulate -c ferry.yaml --inserts 100 --updates 20 --deletes 5 --table orders

            \(FerryExit.help(0, 1, 2))
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Rows to insert per table.")
    var inserts = 5

    @Option(name: .long, help: "Rows to update per table.")
    var updates = 2

    @Option(name: .long, help: "Rows to delete per table.")
    var deletes = 1

    @Option(name: .long, help: "Only this table, as schema.name or its short name (repeatable).")
    var table: [String] = []

    @Flag(name: .long, help: "Print the changes made per table as JSON.")
    var json = false

    /// `--json`: one per table.
    struct Report: Encodable {
        var table: String
        var inserted: Int64?
        var updated: Int64?
        var deleted: Int64?
        var error: String?
    }

    func validate() throws {
        guard inserts >= 0, updates >= 0, deletes >= 0 else {
            throw ValidationError("--inserts, --updates and --deletes must be 0 or more")
        }
    }

    func run() throws {
        let config = try options.load()
        guard case .postgres(let pg) = config.source else {
            printError(
                "error: simulate changes a PostgreSQL source; \(config.path) reads \(Wiring.describe(config.source))")
            throw FerryExit.usage
        }
        var tables = try selectTables(config, names: table)
        if table.isEmpty, tables.contains(where: { $0.syncMode == .cdc }) {
            tables = tables.filter { $0.syncMode == .cdc }
        }
        let simulator = Wiring.simulator(pg, settings: config.settings)
        var reports: [Report] = []
        for spec in tables {
            do throws(FerryError) {
                let c = try simulator.simulate(spec.name, inserts: inserts, updates: updates, deletes: deletes)
                reports.append(
                    Report(table: spec.name.description, inserted: c.inserted, updated: c.updated, deleted: c.deleted))
                if !json { print("\(spec.name): \(c.inserted) inserted, \(c.updated) updated, \(c.deleted) deleted") }
            } catch {
                reports.append(Report(table: spec.name.description, error: error.message))
                printError("error: \(error.forTable(spec.name.description))")
            }
        }
        if json { JSONOutput.print(reports) }
        if reports.contains(where: { $0.error != nil }) { throw FerryExit.tableFailed }
    }
}
