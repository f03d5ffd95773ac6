import ArgumentParser
import FerryCore
import FerryEngine
import Foundation

/// `ferry init`: reads a live source's catalog and writes a config for it, each table's sync mode explained.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented config for a live source: tables, keys and the sync mode that fits each.",
        discussion: """
            Reads the source's tables, primary keys, row estimates, indexes, timestamp and identity columns, and for \
            PostgreSQL wal_level and the role's replication rights, then proposes: cdc for keyed tables when the \
            source can stream; full_replace for tables without a key or with few rows; incremental datetime with a \
            one-day look-back on an updated_at-like column; incremental identity on an integer key otherwise. A \
            comment above each table says why. Credentials are never written: PostgreSQL ones come from \
            SOURCE_DB_USER / SOURCE_DB_PASSWORD (and TARGET_DB_USER / TARGET_DB_PASSWORD), also when init connects.

            Examples:
              ferry init --source sqlite:./shop.db
              ferry init --source postgres://db.internal:5432/prod --schema public --schema sales --output prod.yaml
              ferry init --source postgres://ferry@localhost/app --target sqlite:./uat.db --json
              ferry init --source sqlite:./shop.db --target delta:./lake --output ferry.yaml --force

            \(FerryExit.help(0, 1, 2, 3))
            """
    )

    @Option(name: .long, help: "The source: postgres://[user@]HOST[:PORT]/DB (no password) or sqlite:PATH.")
    var source: String

    @Option(name: .long, help: "The target: delta:PATH, sqlite:PATH or postgres://HOST[:PORT]/DB.")
    var target = "delta:./lake"

    @Option(name: .long, help: "A PostgreSQL schema to include (repeatable; default: every non-system schema).")
    var schema: [String] = []

    @Option(name: .shortAndLong, help: "The config file to write.")
    var output = "ferry.yaml"

    @Option(name: .long, help: "Tables with at most this many rows (estimated) are proposed as full_replace.")
    var smallRows: Int64 = 10_000

    @Flag(name: .long, help: "Overwrite --output when it exists.")
    var force = false

    @Flag(name: .long, help: "Print the proposal as JSON (the file is still written).")
    var json = false

    @Option(name: .long, help: "Messages on stderr: text, or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    func run() throws {
        LogSetup.bootstrap(format: logFormat, verbose: false)
        let sourceEndpoint = try endpoint(source, flag: "--source")
        let targetEndpoint = try endpoint(target, flag: "--target")
        if case .delta = sourceEndpoint {
            printError(
                "error: --source \(source) is a Delta lake, which Ferry cannot read yet: give postgres:// or sqlite:")
            throw FerryExit.usage
        }
        if smallRows < 0 {
            printError("error: --small-rows \(smallRows) is negative: give 0 or more")
            throw FerryExit.usage
        }
        if FileManager.default.fileExists(atPath: output) && !force {
            printError("error: --output \(output) exists: pass --force to overwrite it, or choose another --output")
            throw FerryExit.declined
        }
        let catalog = Wiring.catalog(sourceEndpoint, environment: ProcessInfo.processInfo.environment)
        let proposal: ConfigProposal
        do throws(FerryError) {
            let tables = try catalog.tables(schemas: schema)
            proposal = SyncModeAdvisor(smallTableRows: smallRows).propose(
                tables: tables, streaming: try catalog.streaming())
        } catch {
            printError("error: \(error)")
            throw FerryExit.tableFailed
        }
        guard !proposal.tables.isEmpty else {
            let schemas = schema.isEmpty ? "" : " in schema(s) \(schema.joined(separator: ", "))"
            printError("error: --source \(source) has no tables\(schemas): nothing to write (check --schema)")
            throw FerryExit.usage
        }
        let text = InitConfigWriter(
            source: sourceEndpoint, target: targetEndpoint, proposal: proposal, outputPath: output
        ).render()
        do {
            let dir = (output as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            printError("error: --output \(output) cannot be written: \(error.localizedDescription)")
            throw FerryExit.tableFailed
        }
        if json {
            JSONOutput.print(proposal)
            return
        }
        for table in proposal.tables {
            print("  \(table.name): \(table.syncMode.rawValue) (\(table.reason))")
        }
        print(
            "Wrote \(output) (\(proposal.tables.count) tables). Next: ferry validate -c \(output) --check-connections")
    }

    private func endpoint(_ text: String, flag: String) throws -> InitEndpoint {
        switch InitEndpoint.parse(text, flag: flag) {
        case .success(let endpoint): return endpoint
        case .failure(let error):
            printError("error: \(error)")
            throw FerryExit.usage
        }
    }
}
