public import FerryCore
import Foundation

/// One run of a pipeline, recorded from start to finish: the run's start, every refresh table through the
/// `Engine`, the cdc tables through their `CDCPipeline` (or, in a dry run, their `CDCPlanner`), each table run, and
/// the run's end.
///
/// All bookkeeping of a run happens here and in what it calls, for every kind of run, through the one
/// `RunRecorder`; the CLI builds the parts and renders the result.
public struct PipelineRun: Sendable {
    /// How the cdc tables of the run are handled.
    public enum ChangeCapture: Sendable {
        /// Stream them through `pipeline`, until caught up or (`follow`) until `stop`.
        case stream(CDCPipeline, follow: Bool, stop: StopSignal)
        /// Only plan them (a dry run).
        case plan(CDCPlanner)
    }

    /// The run as recorded (`id`, operation, config, start, host, user, dry run).
    public var run: RunRecord
    /// `nil` records nothing (a dry run).
    public var recorder: (any RunRecorder)?
    public var engine: Engine
    public var changeCapture: ChangeCapture?
    public var clock: any WallClock

    public init(
        run: RunRecord, recorder: (any RunRecorder)?, engine: Engine, changeCapture: ChangeCapture?,
        clock: any WallClock = SystemClock()
    ) {
        self.run = run
        self.recorder = recorder
        self.engine = engine
        self.changeCapture = changeCapture
        self.clock = clock
    }

    /// What a run did.
    public struct Result: Sendable {
        /// One per table, refresh tables first, in config order.
        public var outcomes: [TableOutcome]
        /// For cdc tables: every table holds the source's transactions up to here.
        public var appliedThrough: LSN?
        /// The run's end could not be recorded (the run is then shown as interrupted later); the tables were.
        public var finishError: FerryError?

        public var failed: [TableOutcome] { outcomes.filter { $0.status == .failed } }

        /// What the state store could not take: table runs, then the run's end. The data is committed; the audit
        /// trail misses these.
        public var recordErrors: [FerryError] { outcomes.compactMap(\.recordError) + (finishError.map { [$0] } ?? []) }
    }

    /// Records the start (throws when the store cannot be written: nothing has run then), runs `tables` (the cdc
    /// ones through `changeCapture`), records the end.
    public func execute(tables: [TableSpec]) async throws(FerryError) -> Result {
        try recorder?.startRun(run)
        var outcomes = await engine.run(tables: tables.filter { $0.syncMode != .cdc }, runId: run.id)
        var appliedThrough: LSN?
        let cdcTables = tables.filter { $0.syncMode == .cdc }
        if !cdcTables.isEmpty {
            switch changeCapture {
            case .stream(let pipeline, let follow, let stop):
                let result = await pipeline.run(tables: cdcTables, follow: follow, stop: stop, runId: run.id)
                outcomes += result.outcomes
                appliedThrough = result.appliedThrough
            case .plan(let planner):
                outcomes += planner.plan(tables: cdcTables)
            case nil:
                let error = FerryError(
                    .config, "sync_mode cdc needs a PostgreSQL source; change the table's sync_mode or the source")
                outcomes += cdcTables.map { spec in
                    let now = clock.now()
                    return TableOutcome(
                        table: spec.name.description, syncMode: .cdc, status: .failed,
                        error: error.forTable(spec.name.description), startedAt: now, finishedAt: now)
                }
            }
        }
        var result = Result(outcomes: outcomes, appliedThrough: appliedThrough)
        do throws(FerryError) {
            let status = outcomes.contains { $0.status == .failed } ? "failed" : "succeeded"
            try recorder?.finishRun(id: run.id, status: status, at: clock.now())
        } catch {
            result.finishError = error
        }
        return result
    }
}
