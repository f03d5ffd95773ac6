import ArgumentParser
import FerryConfig
import FerryCore
import FerryState
import Foundation

/// `ferry cleanup`: drops the CDC slot and publication, which otherwise keep WAL on the source's disk forever.
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Drop the CDC replication slot and publication of the config and forget their position.",
        discussion: """
            A replication slot nobody reads keeps WAL on the source server until its disk fills. Run cleanup when \
            you stop using CDC, or to resynchronise: the next `ferry run` creates a new slot and reloads every cdc \
            table from its snapshot. It asks first on a terminal; elsewhere it needs --force.

            Examples:
              ferry cleanup -c ferry.yaml
              ferry cleanup -c ferry.yaml --force --json

            \(FerryExit.help(0, 1, 2, 3, 4))
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var force = false

    @Flag(name: .long, help: "Print what was dropped as JSON.")
    var json = false

    /// `--json`: what was dropped.
    struct Report: Encodable {
        var slot: String
        /// Whether the slot existed on the source before cleanup (dropping a missing one is not an error).
        var slotExisted: Bool
        var publication: String
        /// Whether the state store held the pipeline's positions, now deleted.
        var positionsForgotten: Bool
    }

    func run() throws {
        let config = try options.load()
        guard case .postgres(let pg) = config.source else {
            printError(
                "error: cleanup drops the cdc slot of a PostgreSQL source; \(config.path) reads "
                    + "\(Wiring.describe(config.source)), which has none")
            throw FerryExit.usage
        }
        let cdc = pg.cdc
        if !force { try confirm(slot: cdc.slotName, publication: cdc.publicationName, source: config.source) }
        let store = try openExistingStateStore(config)
        let source = Wiring.changeSource(pg, settings: config.settings)
        let existed: Bool
        do throws(FerryError) {
            existed = try source.slotState() != nil
            try source.dropSlotAndPublication()
        } catch {
            printError("error: \(error)")
            throw FerryExit.tableFailed
        }
        let forgotten = try readState { () throws(FerryError) -> Bool in
            guard let store, try store.cdcPipeline(slot: cdc.slotName) != nil else { return false }
            try store.deleteCDCPipeline(slot: cdc.slotName)
            return true
        }
        if json {
            JSONOutput.print(
                Report(
                    slot: cdc.slotName, slotExisted: existed, publication: cdc.publicationName,
                    positionsForgotten: forgotten))
        } else {
            print("dropped replication slot \(cdc.slotName) and publication \(cdc.publicationName)")
        }
    }

    /// Asks on the terminal (on stderr, so stdout stays the report); exits 3 on "no" or when nobody can be asked.
    func confirm(slot: String, publication: String, source: DatabaseConfig) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            printError(
                "error: cleanup drops slot \(slot) and publication \(publication) and there is no terminal to ask; "
                    + "run it with --force to confirm (nothing was dropped)")
            throw FerryExit.declined
        }
        FileHandle.standardError.write(
            Data(
                ("Drop replication slot \(slot) and publication \(publication) on \(Wiring.describe(source))? "
                    + "The next run reloads every cdc table. [y/N] ").utf8))
        guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
            printError("note: nothing dropped")
            throw FerryExit.declined
        }
    }
}
