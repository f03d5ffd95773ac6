import ArgumentParser
import FerryConfig
import FerryCore
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Check a config file; with --check-connections also open every table and check the source can stream cdc tables."
    )

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Connect to both databases and check every table and column the config names.")
    var checkConnections = false

    func run() throws {
        let config = try loadConfig(options.config)
        print(
            "\(config.path): valid, \(config.tables.count) table(s), \(Wiring.describe(config.source)) -> \(Wiring.describe(config.target))"
        )
        guard checkConnections else { return }
        let source = Wiring.source(config.source, settings: config.settings)
        let destination = Wiring.destination(config.target, settings: config.settings, runStartedAt: 0)
        var failures = 0
        for spec in config.tables {
            do throws(FerryError) {
                let reader = try source.openReader(spec.name)
                defer { reader.close() }
                let writer = try destination.openWriter(spec.targetName)
                defer { writer.close() }
                let schema = reader.schema
                if let col = spec.incrementalColumn, schema.column(named: col) == nil {
                    throw FerryError(
                        .schema, "incremental_column \(col) does not exist in the source table",
                        table: spec.name.description)
                }
                for c in spec.primaryKey ?? [] where schema.column(named: c) == nil {
                    throw FerryError(
                        .schema, "primary_key column \(c) does not exist in the source table",
                        table: spec.name.description)
                }
                let target = try writer.existingSchema()
                print(
                    "  ✓ \(spec.name): \(schema.columns.count) columns; target \(target == nil ? "will be created" : "exists")"
                )
            } catch {
                failures += 1
                printError("  ✗ \(error.forTable(spec.name.description))")
            }
        }
        let cdcTables = config.tables.filter { $0.syncMode == .cdc }.map(\.name)
        if !cdcTables.isEmpty, case .postgres(let pg) = config.source {
            do throws(FerryError) {
                try Wiring.changeSource(pg, settings: config.settings).checkReadiness(tables: cdcTables)
                print(
                    "  ✓ cdc: the source can stream \(cdcTables.count) table(s) (wal_level, privileges, replica identity)"
                )
            } catch {
                failures += 1
                printError("  ✗ cdc: \(error)")
            }
        }
        if failures > 0 { throw FerryExit.usage }
    }
}
