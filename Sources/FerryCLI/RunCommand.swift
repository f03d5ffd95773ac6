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

            Tables with sync_mode cdc run together through one replication slot: the first run loads them from
            the slot's snapshot, every run then applies the changes committed up to the moment it started and
            exits. With --follow, changes stream until SIGINT or SIGTERM; the batch in flight is applied first.
            """
    )

    enum Operation: String, ExpressibleByArgument, CaseIterable {
        /// Every selected table.
        case replication
        /// Only the sync_mode cdc tables.
        case cdc
    }

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table (repeatable).")
    var table: [String] = []

    @Flag(name: .long, help: "Print each table's plan (mode, queries, expected rows) and change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Replace non-empty targets without asking.")
    var force = false

    @Option(name: .long, help: "The operation to run: replication (every table) or cdc (only sync_mode cdc tables).")
    var operation: Operation = .replication

    @Flag(name: .long, help: "Keep streaming changes of the cdc tables until SIGINT/SIGTERM.")
    var follow = false

    func run() async throws {
        let config = try loadConfig(options.config)
        LogSetup.bootstrap(format: options.logFormat, verbose: config.settings.verboseLogging)
        var tables = try selectTables(config, names: table)
        if operation == .cdc { tables = tables.filter { $0.syncMode == .cdc } }
        if tables.contains(where: { $0.syncMode == .cdc }) {
            // The cdc tables share one slot: streaming a subset would confirm changes the others never got.
            let all = config.tables.filter { $0.syncMode == .cdc }
            tables = tables.filter { $0.syncMode != .cdc } + all
        }
        if follow && !tables.contains(where: { $0.syncMode == .cdc }) {
            printError("error: --follow streams sync_mode cdc tables, and none is selected in \(config.path)")
            throw FerryExit.usage
        }
        let code = await ReplicationRun(
            config: config, tables: tables, dryRun: dryRun || config.settings.dryRun,
            force: force || !config.settings.confirm, follow: follow, operation: operation.rawValue
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
    var follow = false
    /// What the run is recorded as: `replication` (every selected table) or `cdc`.
    var operation: String

    func execute() async -> ExitCode {
        let runId = UUID().uuidString.lowercased()
        let logger = Logger(label: "ferry")
        var store: StateStore?
        if !dryRun {
            do {
                store = try StateStore(path: config.statePath)
            } catch {
                printError("error: \(error)")
                return FerryExit.stateStore
            }
        }
        let started = Date()
        let header =
            "ferry run \(runId)\(dryRun ? " (dry run)" : ""): \(tables.count) table(s) from "
            + "\(Wiring.describe(config.source)) to \(Wiring.describe(config.target))"
        print(header)
        let record = RunRecord(
            id: runId, operation: operation, configPath: config.path, configHash: config.hash, startedAt: started,
            host: ProcessInfo.processInfo.hostName, user: ProcessInfo.processInfo.environment["USER"] ?? "unknown",
            dryRun: dryRun)
        let engine = Engine(
            source: Wiring.source(config.source, settings: config.settings),
            destination: Wiring.destination(
                config.target, settings: config.settings, runStartedAt: Int64(started.timeIntervalSince1970 * 1000),
                tables: config.tables, runId: runId),
            recorder: store,
            workers: config.settings.workers, retry: RetryPolicy(maxRetries: config.settings.maxRetries),
            dryRun: dryRun, force: force, confirmation: TerminalConfirmation(),
            observer: TerminalProgress(quiet: dryRun), logger: logger)
        let stop = StopSignal()
        let signals = follow ? SignalTrap(stop: stop) : nil
        defer { signals?.cancel() }
        let run = PipelineRun(
            run: record, recorder: store, engine: engine,
            changeCapture: changeCapture(store: store, runId: runId, stop: stop, logger: logger))
        let result: PipelineRun.Result
        do throws(FerryError) {
            result = try await run.execute(tables: tables)
        } catch {
            printError("error: \(error)")
            return FerryExit.stateStore
        }
        if let error = result.finishError {
            printError("warning: the run's end was not recorded: \(error.message)")
        }
        if dryRun {
            for outcome in result.outcomes { print(DryRunReport.render(outcome)) }
        } else {
            print(Summary.render(result.outcomes, elapsed: Date().timeIntervalSince(started)))
        }
        if let lsn = result.appliedThrough {
            print("cdc: slot \(config.cdc.slotName) confirmed at \(lsn)")
        }
        for outcome in result.failed {
            printError("error: table \(outcome.table): \(outcome.error?.message ?? "failed")")
        }
        return result.failed.isEmpty ? FerryExit.success : FerryExit.tableFailed
    }
}

extension ReplicationRun {
    /// How the cdc tables run: through their slot (with `follow`, until SIGINT or SIGTERM), or planned in a dry
    /// run; `nil` when the source cannot stream changes.
    func changeCapture(
        store: StateStore?, runId: String, stop: StopSignal, logger: Logger
    ) -> PipelineRun.ChangeCapture? {
        guard tables.contains(where: { $0.syncMode == .cdc }), case .postgres(let pg) = config.source else {
            return nil
        }
        let destination = Wiring.destination(
            config.target, settings: config.settings, runStartedAt: Int64(Date().timeIntervalSince1970 * 1000),
            tables: config.tables, runId: runId)
        let source = Wiring.changeSource(pg, settings: config.settings)
        guard let store, !dryRun else {
            return .plan(CDCPlanner(source: source, destination: destination, settings: config.cdc))
        }
        let pipeline = CDCPipeline(
            source: source, destination: destination, recorder: store, settings: config.cdc,
            retry: RetryPolicy(maxRetries: config.settings.maxRetries),
            force: force, confirmation: TerminalConfirmation(),
            observer: TerminalProgress(quiet: false), logger: logger)
        return .stream(pipeline, follow: follow, stop: stop)
    }
}

/// Turns SIGINT and SIGTERM into a stop request, so `--follow` finishes its batch and exits cleanly.
final class SignalTrap: @unchecked Sendable {
    // Set once in init; DispatchSource is thread-safe.
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal) {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                printError("ferry: stopping after the batch in flight")
                stop.stop()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
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
            plan.syncMode == .cdc
                ? "  rows:       target has \(plan.targetRows)"
                : "  rows:       \(plan.expectedRows) to copy (target has \(plan.targetRows))",
            "  read:       \(plan.readStatement)",
            "  write:",
        ]
        lines += plan.writeStatements.map { "    \($0)" }
        return lines.joined(separator: "\n")
    }
}
