import ArgumentParser
import FerryConfig
import FerryCore
import FerryDelta
import Foundation

/// `ferry vacuum`: deletes the data files a Delta target no longer needs.
struct VacuumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vacuum",
        abstract: "Delete data files a Delta target no longer references, older than the retention period.",
        discussion: """
            Files in the current version are never touched; removed files stay until their removal is older than \
            --retention-hours (default 168, 7 days), so time travel inside that window keeps working.

            Examples:
              ferry vacuum -c ferry.yaml --dry-run
              ferry vacuum -c ferry.yaml --table orders --retention-hours 24 --json

            \(FerryExit.help(0, 1, 2))
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table, as schema.name or its short name (repeatable).")
    var table: [String] = []

    @Option(name: .long, help: "Keep files removed less than this many hours ago.")
    var retentionHours: Double = 168

    @Flag(name: .long, help: "List what would be deleted and delete nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the files removed per table as JSON.")
    var json = false

    /// `--json`: one per table.
    struct Report: Encodable {
        var table: String
        var path: String
        /// Whether a Delta table exists there yet; when not, nothing was looked at.
        var exists: Bool
        var dryRun: Bool
        /// Deleted (or, in a dry run, to be deleted), relative to `path`.
        var removed: [String]
        var error: String?
    }

    func validate() throws {
        guard retentionHours >= 0, retentionHours.isFinite else {
            throw ValidationError("--retention-hours must be a number of hours, 0 or more")
        }
    }

    func run() throws {
        let config = try options.load()
        guard case .delta(let root, _, _) = config.target else {
            printError(
                "error: vacuum applies to delta targets; \(config.path) writes to \(Wiring.describe(config.target))")
            throw FerryExit.usage
        }
        var reports: [Report] = []
        let destination = Wiring.lake(root)
        for spec in try selectTables(config, names: table) {
            do throws(FerryError) {
                let result = try destination.vacuum(spec.targetName, retention: retentionHours * 3600, dryRun: dryRun)
                reports.append(
                    Report(
                        table: spec.name.description, path: result.path, exists: result.exists, dryRun: dryRun,
                        removed: result.files))
                guard !json else { continue }
                guard result.exists else {
                    print("\(spec.name): no Delta table at \(result.path) yet")
                    continue
                }
                print("\(spec.name): \(dryRun ? "would delete" : "deleted") \(result.files.count) file(s)")
                for f in result.files { print("  \(f)") }
            } catch {
                reports.append(
                    Report(
                        table: spec.name.description, path: "", exists: false, dryRun: dryRun, removed: [],
                        error: error.message))
                printError("error: table \(spec.name): \(error.message)")
            }
        }
        if json { JSONOutput.print(reports) }
        if reports.contains(where: { $0.error != nil }) { throw FerryExit.tableFailed }
    }
}
