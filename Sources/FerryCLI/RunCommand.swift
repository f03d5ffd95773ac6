import ArgumentParser
import FerryConfig
import FerryCore
import FerryEngine
import FerryState
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Replicate every table of the config (or those named with --table).",
        discussion: """
            Each table runs in its own snapshot of the source and commits into the target at once. A failing table
            does not stop the others; the exit code is then 1.
            """
    )

    enum Operation: String, ExpressibleByArgument, CaseIterable {
        case replication
    }

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table (repeatable).")
    var table: [String] = []

    @Flag(name: .long, help: "Print each table's plan (mode, queries, expected rows) and change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Replace non-empty targets without asking.")
    var force = false

    @Option(name: .long, help: "The operation to run: replication.")
    var operation: Operation = .replication

    func run() async throws {
        let config = try loadConfig(options.config)
        LogSetup.bootstrap(format: options.logFormat, verbose: config.settings.verboseLogging)
        let tables = try selectTables(config, names: table)
        let code = await ReplicationRun(
            config: config, tables: tables, dryRun: dryRun || config.settings.dryRun,
            force: force || !config.settings.confirm, logFormat: options.logFormat
        ).execute()
        if code != FerryExit.success { throw code }
    }
}

/// One `ferry run`: prints the run id, runs the engine, records the run, prints the summary.
struct ReplicationRun {
    var config: PipelineConfig
    var tables: [TableSpec]
    var dryRun: Bool
    var force: Bool
    var logFormat: LogFormat

    func execute() async -> ExitCode {
        let runId = UUID().uuidString.lowercased()
        let logger = Logger(label: "ferry")
        var store: StateStore?
        if !dryRun {
            do {
                store = try StateStore(path: config.statePath)
            } catch {
                printError("error: \(error)")
                return FerryExit.usage
            }
        }
        let started = Date()
        let header =
            "ferry run \(runId)\(dryRun ? " (dry run)" : ""): \(tables.count) table(s) from "
            + "\(Wiring.describe(config.source)) to \(Wiring.describe(config.target))"
        print(header)
        let run = RunRecord(
            id: runId, operation: "replication", configPath: config.path, configHash: config.hash, startedAt: started,
            host: ProcessInfo.processInfo.hostName, user: ProcessInfo.processInfo.environment["USER"] ?? "unknown",
            dryRun: dryRun)
        do {
            try store?.startRun(run)
        } catch {
            printError("error: \(error)")
            return FerryExit.usage
        }
        let engine = Engine(
            source: Wiring.source(config.source, settings: config.settings),
            destination: Wiring.destination(
                config.target, settings: config.settings, runStartedAt: Int64(started.timeIntervalSince1970 * 1000),
                tables: config.tables, runId: runId),
            store: store,
            workers: config.settings.workers, retry: RetryPolicy(maxRetries: config.settings.maxRetries),
            dryRun: dryRun, force: force, confirmation: TerminalConfirmation(),
            observer: TerminalProgress(quiet: dryRun), logger: logger)
        let outcomes = await engine.run(tables: tables, runId: runId)
        let failed = outcomes.filter { $0.status == .failed }
        try? store?.finishRun(id: runId, status: failed.isEmpty ? "succeeded" : "failed", at: Date())

        if dryRun {
            for outcome in outcomes { print(DryRunReport.render(outcome)) }
        } else {
            print(Summary.render(outcomes, elapsed: Date().timeIntervalSince(started)))
        }
        for outcome in failed {
            printError("error: table \(outcome.table): \(outcome.error?.message ?? "failed")")
        }
        return failed.isEmpty ? FerryExit.success : FerryExit.tableFailed
    }
}

enum Summary {
    static func render(_ outcomes: [TableOutcome], elapsed: Double) -> String {
        let rows = outcomes.map { o in
            [
                o.table, o.status.rawValue, o.modeChosen, o.strategy, String(o.rowsRead), String(o.rowsWritten),
                o.watermarkAfter ?? "-", Format.seconds(o.duration),
            ]
        }
        let ok = outcomes.filter { $0.status == .succeeded }.count
        return "\n"
            + Format.table(["table", "result", "mode", "strategy", "read", "written", "watermark", "time"], rows)
            + "\n\n\(ok) of \(outcomes.count) table(s) succeeded in \(Format.seconds(elapsed))"
    }
}

enum DryRunReport {
    static func render(_ o: TableOutcome) -> String {
        guard let plan = o.plan else {
            return "\n[\(o.table)] cannot plan: \(o.error?.message ?? "unknown error")"
        }
        var lines = [
            "", "[\(plan.table)] -> \(plan.target)",
            "  sync_mode:  \(plan.syncMode.rawValue)", "  plan:       \(plan.modeChosen)",
            "  strategy:   \(plan.strategy)",
            "  watermark:  \(plan.watermark?.description ?? "none")",
            "  rows:       \(plan.expectedRows) to copy (target has \(plan.targetRows))",
            "  read:       \(plan.readStatement)",
            "  write:",
        ]
        lines += plan.writeStatements.map { "    \($0)" }
        return lines.joined(separator: "\n")
    }
}
