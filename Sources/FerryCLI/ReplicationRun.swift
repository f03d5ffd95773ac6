import ArgumentParser
import FerryConfig
import FerryCore
import FerryEngine
import FerryState
import Foundation
import Logging

/// One `ferry run` (or the quickstart's): prints the run id, runs the engine, records the run, reports the result.
struct ReplicationRun {
    var config: PipelineConfig
    var tables: [TableSpec]
    var dryRun: Bool
    var force: Bool
    /// `--force` itself: also applies schema changes that may lose data.
    var forceSchemaChanges = false
    var follow = false
    /// What the run is recorded as: `replication` (every selected table), `cdc` or `quickstart`.
    var operation: String
    /// A JSON summary on stdout instead of text.
    var json = false

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
        if !json {
            print(
                "ferry run \(runId)\(dryRun ? " (dry run)" : ""): \(tables.count) table(s) from "
                    + "\(Wiring.describe(config.source)) to \(Wiring.describe(config.target))")
        }
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
            dryRun: dryRun, force: force, forceSchemaChanges: forceSchemaChanges, confirmation: TerminalConfirmation(),
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
        report(result, runId: runId, started: started)
        for outcome in result.failed {
            printError("error: table \(outcome.table): \(outcome.error?.message ?? "failed")")
        }
        if !result.failed.isEmpty { return FerryExit.tableFailed }
        if let error = result.recordErrors.first {
            // Every table committed, but the state store could not record all of it (the audit trail misses it).
            printError("error: the state store did not record everything: \(error.message)")
            return FerryExit.stateStore
        }
        return FerryExit.success
    }

    /// The run's result on stdout: the plans or the summary table, or one JSON document.
    func report(_ result: PipelineRun.Result, runId: String, started: Date) {
        if json {
            JSONOutput.print(
                RunReport(
                    runId: runId, operation: operation, dryRun: dryRun, config: config, startedAt: started,
                    result: result))
            return
        }
        if dryRun {
            for outcome in result.outcomes { print(DryRunReport.render(outcome)) }
        } else {
            print(RunSummary.render(result.outcomes, elapsed: Date().timeIntervalSince(started)))
        }
        if let lsn = result.appliedThrough {
            print("cdc: slot \(config.cdc.slotName) confirmed at \(lsn)")
        }
    }

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
            observer: TerminalProgress(quiet: json), logger: logger)
        return .stream(pipeline, follow: follow, stop: stop)
    }
}
