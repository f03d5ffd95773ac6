import FerryCore
import Foundation

/// Applies CDC micro-batches on a thread of its own, so the stream is read and folded while the previous batch is
/// written to the targets.
///
/// At most one batch is being applied and one more is being folded: memory is two batches. The apply closure
/// commits each target with the batch's position and records the tables' positions (`cdc_tables`); results come
/// back to the stream's thread (`collect`), which records the pipeline's position (`cdc_pipelines`) and confirms it
/// to the slot: the replication connection has one owner, and a position is confirmed only after its batch
/// committed.
final class BatchApplier: @unchecked Sendable {
    // State below is guarded by `condition`; `applyBatch` runs on the applier thread only.

    typealias Apply = (CDCBatch) throws(FerryError) -> Void

    private let condition = NSCondition()
    private var pending: CDCBatch?
    private var inFlight = false
    private var done: [CDCBatch] = []
    private var failure: FerryError?
    private var finished = false
    private var thread: BlockingThread.Joinable?
    private let applyBatch: Apply
    private let clock: any WallClock

    init(clock: any WallClock, apply: @escaping Apply) {
        self.clock = clock
        self.applyBatch = apply
        thread = BlockingThread.start(name: "ferry-cdc-apply") { [self] in run() }
    }

    /// Hands `batch` over, waiting while the previous one is still being applied.
    func submit(_ batch: CDCBatch) throws(FerryError) {
        condition.lock()
        defer { condition.unlock() }
        while (pending != nil || inFlight) && failure == nil { condition.wait() }
        if let failure { throw failure }
        pending = batch
        condition.broadcast()
    }

    /// Batches applied since the last call, in order; throws the failure of a batch that could not be applied.
    func collect() throws(FerryError) -> [CDCBatch] {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        let out = done
        done = []
        return out
    }

    /// Batches applied since the last call, in order, and whether the applier was idle (nothing waiting or being
    /// applied) when they were taken: read under one lock, so an idle applier has nothing left uncollected.
    func collectIfIdle() throws(FerryError) -> (batches: [CDCBatch], idle: Bool) {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        let out = done
        if !out.isEmpty { done = [] }
        return (out, pending == nil && !inFlight)
    }

    /// Whether nothing handed over is waiting or being applied (collected or not).
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return pending == nil && !inFlight
    }

    /// Waits until everything handed over is applied, then collects it.
    func drain() throws(FerryError) -> [CDCBatch] {
        condition.lock()
        while (pending != nil || inFlight) && failure == nil { condition.wait() }
        condition.unlock()
        return try collect()
    }

    /// Ends the thread after the batch it is applying, if any; a batch not started yet is dropped (it was not
    /// confirmed, so the slot sends it again).
    func stop() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
        thread?.join()
        thread = nil
    }

    private func run() {
        while true {
            condition.lock()
            while pending == nil && !finished { condition.wait() }
            guard !finished, let batch = pending else {
                condition.unlock()
                return
            }
            pending = nil
            inFlight = true
            condition.unlock()
            var failed: FerryError?
            var applied = batch
            do throws(FerryError) {
                try applyBatch(batch)
                applied.appliedAt = clock.now()
            } catch {
                failed = error
            }
            condition.lock()
            inFlight = false
            if let failed { failure = failed } else { done.append(applied) }
            condition.broadcast()
            condition.unlock()
            if failed != nil { return }
        }
    }
}
