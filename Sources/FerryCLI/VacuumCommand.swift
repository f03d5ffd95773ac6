import ArgumentParser
import FerryConfig
import FerryCore
import FerryDelta
import Foundation

struct VacuumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vacuum",
        abstract: "Delete data files a Delta target no longer references, older than the retention period.",
        discussion: """
            Files in the current version are never touched; removed files stay until their removal is older than
            --retention-hours (default 168, 7 days), so time travel inside that window keeps working.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table (repeatable).")
    var table: [String] = []

    @Option(name: .long, help: "Keep files removed less than this many hours ago.")
    var retentionHours: Double = 168

    @Flag(name: .long, help: "List what would be deleted and delete nothing.")
    var dryRun = false

    func run() throws {
        let config = try loadConfig(options.config)
        guard case .delta(let root, _, _) = config.target else {
            printError("error: vacuum applies to delta targets; \(config.path) writes to \(config.target.kind)")
            throw FerryExit.usage
        }
        guard retentionHours >= 0 else {
            printError("error: --retention-hours must not be negative")
            throw FerryExit.usage
        }
        var failed = false
        let destination = DeltaDestination(root: root)
        for spec in try selectTables(config, names: table) {
            do throws(FerryError) {
                let result = try destination.vacuum(
                    spec.targetName, retention: retentionHours * 3600, dryRun: dryRun)
                guard result.exists else {
                    print("\(spec.name): no Delta table at \(result.path) yet")
                    continue
                }
                print("\(spec.name): \(dryRun ? "would delete" : "deleted") \(result.files.count) file(s)")
                for f in result.files { print("  \(f)") }
            } catch {
                failed = true
                printError("error: table \(spec.name): \(error.message)")
            }
        }
        if failed { throw FerryExit.tableFailed }
    }
}
