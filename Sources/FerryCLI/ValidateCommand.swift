import ArgumentParser
import FerryConfig
import FerryCore
import Foundation

/// `ferry validate`: the config alone, or with `--check-connections` every table against both databases.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Check a config file; with --check-connections also open every table and check the source can stream cdc tables.",
        discussion: """
            A bad config exits 2 with one line naming the file, line and key; a table or cdc check that fails \
            with --check-connections exits 1.

            Examples:
              ferry validate -c ferry.yaml
              ferry validate -c ferry.yaml --check-connections --json

            \(FerryExit.help(0, 1, 2))
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Connect to both databases and check every table and column the config names.")
    var checkConnections = false

    @Flag(name: .long, help: "Print {\"valid\": …, \"tables\": […]} (or the error) as JSON.")
    var json = false

    /// `--json`: whether the config (and with `--check-connections`, every check) passed.
    struct Report: Encodable {
        struct Table: Encodable {
            var table: String
            var syncMode: String
            var targetTable: String
            /// With `--check-connections`: the source's column count, whether the target exists, or the error.
            var columns: Int?
            var targetExists: Bool?
            var error: String?
        }

        struct CDCCheck: Encodable {
            var tables: [String]
            var error: String?
        }

        var valid: Bool
        var config: String
        var source: String?
        var target: String?
        var tables: [Table] = []
        var cdc: CDCCheck?
        var error: String?
    }

    func run() throws {
        LogSetup.use(options.logFormat)
        let config: PipelineConfig
        do {
            config = try ConfigLoader().load(path: options.config)
        } catch {
            printError("error: \(error)")
            if json { JSONOutput.print(Report(valid: false, config: options.config, error: "\(error)")) }
            throw FerryExit.usage
        }
        LogSetup.bootstrap(format: options.logFormat, verbose: config.settings.verboseLogging)
        var report = Report(
            valid: true, config: config.path, source: Wiring.describe(config.source),
            target: Wiring.describe(config.target),
            tables: config.tables.map {
                Report.Table(
                    table: $0.name.description, syncMode: $0.syncMode.rawValue, targetTable: $0.targetName.description)
            })
        if !json {
            print(
                "\(config.path): valid, \(config.tables.count) table(s), \(report.source ?? "") -> \(report.target ?? "")"
            )
        }
        if checkConnections { check(config, into: &report) }
        if json { JSONOutput.print(report) }
        if !report.valid { throw FerryExit.tableFailed }
    }

    /// Opens every table on both sides and runs the cdc readiness checks; failures clear `valid`.
    func check(_ config: PipelineConfig, into report: inout Report) {
        let source = Wiring.source(config.source, settings: config.settings)
        let destination = Wiring.destination(config.target, settings: config.settings, runStartedAt: 0)
        for (i, spec) in config.tables.enumerated() {
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
                report.tables[i].columns = schema.columns.count
                report.tables[i].targetExists = target != nil
                if !json {
                    print(
                        "  ✓ \(spec.name): \(schema.columns.count) columns; target \(target == nil ? "will be created" : "exists")"
                    )
                }
            } catch {
                report.valid = false
                report.tables[i].error = error.message
                printError("  ✗ \(error.forTable(spec.name.description))")
            }
        }
        let cdcTables = config.tables.filter { $0.syncMode == .cdc }.map(\.name)
        guard !cdcTables.isEmpty, case .postgres(let pg) = config.source else { return }
        report.cdc = Report.CDCCheck(tables: cdcTables.map(\.description))
        do throws(FerryError) {
            try Wiring.changeSource(pg, settings: config.settings).checkReadiness(tables: cdcTables)
            if !json {
                print(
                    "  ✓ cdc: the source can stream \(cdcTables.count) table(s) (wal_level, privileges, replica identity)"
                )
            }
        } catch {
            report.valid = false
            report.cdc?.error = error.message
            printError("  ✗ cdc: \(error)")
        }
    }
}
