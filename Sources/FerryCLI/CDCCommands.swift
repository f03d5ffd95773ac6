import ArgumentParser
import FerryConfig
import FerryCore
import FerryPostgres
import FerryState
import Foundation

/// `ferry cleanup`: drops the CDC slot and publication, which otherwise keep WAL on the source's disk forever.
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Drop the CDC replication slot and publication of the config and forget their position.",
        discussion: """
            A replication slot nobody reads keeps WAL on the source server until its disk fills. Run cleanup when
            you stop using CDC, or to resynchronise: the next `ferry run` creates a new slot and reloads every cdc
            table from its snapshot.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var force = false

    func run() throws {
        let config = try loadConfig(options.config)
        guard case .postgres(let pg) = config.source else {
            printError("error: cleanup applies to a PostgreSQL source with cdc tables; \(config.path) reads sqlite")
            throw FerryExit.usage
        }
        let cdc = pg.cdc
        if !force {
            guard isatty(STDIN_FILENO) == 1 else {
                printError(
                    "error: cleanup drops slot \(cdc.slotName) and publication \(cdc.publicationName); "
                        + "run it with --force to confirm")
                throw FerryExit.tableFailed
            }
            print(
                "Drop replication slot \(cdc.slotName) and publication \(cdc.publicationName) on "
                    + "\(Wiring.describe(config.source))? The next run reloads every cdc table. [y/N] ",
                terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("nothing dropped")
                throw FerryExit.tableFailed
            }
        }
        do throws(FerryError) {
            try Wiring.changeSource(pg, settings: config.settings).dropSlotAndPublication()
            if FileManager.default.fileExists(atPath: config.statePath) {
                try StateStore(path: config.statePath).deleteCDCPipeline(slot: cdc.slotName)
            }
        } catch {
            printError("error: \(error)")
            throw FerryExit.tableFailed
        }
        print("dropped replication slot \(cdc.slotName) and publication \(cdc.publicationName)")
    }
}

/// `ferry simulate`: random changes in the source, to watch CDC carry them.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Make random inserts, updates and deletes in the source tables (for testing CDC)."
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Rows to insert per table.")
    var inserts = 5

    @Option(name: .long, help: "Rows to update per table.")
    var updates = 2

    @Option(name: .long, help: "Rows to delete per table.")
    var deletes = 1

    @Option(name: .long, help: "Only this table (repeatable); default: every cdc table, or every table.")
    var table: [String] = []

    func validate() throws {
        guard inserts >= 0, updates >= 0, deletes >= 0 else {
            throw ValidationError("--inserts, --updates and --deletes must be 0 or more")
        }
    }

    func run() throws {
        let config = try loadConfig(options.config)
        guard case .postgres(let pg) = config.source else {
            printError("error: simulate changes a PostgreSQL source; \(config.path) reads sqlite")
            throw FerryExit.usage
        }
        var tables = try selectTables(config, names: table)
        if table.isEmpty, tables.contains(where: { $0.syncMode == .cdc }) {
            tables = tables.filter { $0.syncMode == .cdc }
        }
        let simulator = PostgresSimulator(config: Wiring.connection(pg, settings: config.settings))
        var failed = false
        for spec in tables {
            do throws(FerryError) {
                let c = try simulator.simulate(spec.name, inserts: inserts, updates: updates, deletes: deletes)
                print("\(spec.name): \(c.inserted) inserted, \(c.updated) updated, \(c.deleted) deleted")
            } catch {
                printError("error: \(error.forTable(spec.name.description))")
                failed = true
            }
        }
        if failed { throw FerryExit.tableFailed }
    }
}
