public import FerryCore
import Foundation
public import Logging

/// Set from a signal handler to end `ferry run --follow` after the batch in flight.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    public init() {}

    public func stop() { lock.withLock { stopped = true } }

    public var isStopped: Bool { lock.withLock { stopped } }
}

/// What a CDC run did.
public struct CDCResult: Sendable {
    public var outcomes: [TableOutcome]
    /// Every table holds the source's transactions up to here.
    public var appliedThrough: LSN?
    /// The error that stopped the pipeline, if any.
    public var error: FerryError?
}

/// Replicates the `sync_mode: cdc` tables of a config through one replication slot.
///
/// The first run creates the slot, loads every table from the slot's exported snapshot, then streams; later runs
/// stream from where the targets are. A table added later is loaded from a temporary slot's snapshot and joins the
/// stream. Each micro-batch of whole transactions is applied to each target together with its end LSN (one Delta
/// commit, or one database transaction), the state store then records the position, and only then is the slot told:
/// a crash at any point replays at most what the targets will recognise and skip.
public struct CDCPipeline: Sendable {
    public var source: any ChangeSource
    public var destination: any Destination
    /// Where positions and table runs are recorded.
    public var recorder: any RunRecorder
    public var settings: CDCSettings
    /// Back-off between restarts after a transient failure; `maxRetries` bounds them unless following.
    public var retry: RetryPolicy
    public var force: Bool
    public var confirmation: (any ReplaceConfirmation)?
    public var observer: (any ProgressObserver)?
    public var logger: Logger
    /// The time every decision of the run is made with (the system's clock but in tests).
    public var clock: any WallClock

    public init(
        source: any ChangeSource, destination: any Destination, recorder: any RunRecorder,
        settings: CDCSettings, retry: RetryPolicy = RetryPolicy(maxRetries: 3), force: Bool = false,
        confirmation: (any ReplaceConfirmation)? = nil,
        observer: (any ProgressObserver)? = nil, logger: Logger = Logger(label: "ferry"),
        clock: any WallClock = SystemClock()
    ) {
        self.source = source
        self.destination = destination
        self.recorder = recorder
        self.settings = settings
        self.retry = retry
        self.force = force
        self.confirmation = confirmation
        self.observer = observer
        self.logger = logger
        self.clock = clock
    }

    /// Loads new tables, then applies changes: until the moment the run started (`follow: false`), or until `stop`.
    /// Each table's part of run `runId` is recorded at the end.
    public func run(tables: [TableSpec], follow: Bool, stop: StopSignal, runId: String) async -> CDCResult {
        let pipeline = self
        var result = await BlockingThread.run(name: "ferry-cdc") {
            var run = CDCRun(pipeline: pipeline, specs: tables, follow: follow, stop: stop)
            return run.execute()
        }
        for i in result.outcomes.indices {
            let outcome = result.outcomes[i]
            do throws(FerryError) {
                try recorder.record(outcome.record(runId: runId))
            } catch {
                logger.error(
                    "could not record the table run", metadata: ["table": "\(outcome.table)", "error": "\(error)"])
                result.outcomes[i].recordError = error
            }
        }
        return result
    }
}
