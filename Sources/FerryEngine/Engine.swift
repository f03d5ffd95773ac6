public import FerryCore
import Foundation
public import Logging

/// Runs a set of tables from a source to a destination: `workers` at a time, each retried on transient failures,
/// each recorded through the `RunRecorder` after its target committed.
public struct Engine: Sendable {
    public var source: any Source
    public var destination: any Destination
    /// Where table runs are recorded; `nil` records nothing (dry runs).
    public var recorder: (any RunRecorder)?
    public var workers: Int
    public var retry: RetryPolicy
    public var dryRun: Bool
    public var force: Bool
    /// Schema changes that may lose data (a narrowed type, a dropped column holding values) are applied; only an
    /// explicit `--force` sets it (`confirm: false` in the config does not).
    public var forceSchemaChanges: Bool
    public var confirmation: (any ReplaceConfirmation)?
    public var observer: (any ProgressObserver)?
    public var logger: Logger

    public init(
        source: any Source, destination: any Destination, recorder: (any RunRecorder)?, workers: Int,
        retry: RetryPolicy,
        dryRun: Bool = false, force: Bool = false, forceSchemaChanges: Bool = false,
        confirmation: (any ReplaceConfirmation)? = nil,
        observer: (any ProgressObserver)? = nil, logger: Logger = Logger(label: "ferry")
    ) {
        self.source = source
        self.destination = destination
        self.recorder = recorder
        self.workers = max(1, workers)
        self.retry = retry
        self.dryRun = dryRun
        self.force = force
        self.forceSchemaChanges = forceSchemaChanges
        self.confirmation = confirmation
        self.observer = observer
        self.logger = logger
    }

    /// Runs every table in `tables`, `workers` at a time, in config order except that a table starts only once
    /// the tables it references among them have finished (`TableOrder`). A failing table does not stop the others;
    /// the outcomes are in config order.
    public func run(tables: [TableSpec], runId: String) async -> [TableOutcome] {
        var outcomes = [TableOutcome?](repeating: nil, count: tables.count)
        let order = await tableOrder(tables)
        await withTaskGroup(of: (Int, TableOutcome).self) { group in
            var started = Set<Int>()
            var finished = Set<Int>()
            func fill() {
                while started.count - finished.count < workers,
                    let index = order.next(started: started, finished: finished)
                {
                    started.insert(index)
                    let spec = tables[index]
                    group.addTask {
                        (index, await self.runTable(spec, runId: runId))
                    }
                }
            }
            fill()
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                finished.insert(index)
                fill()
            }
        }
        var done = outcomes.compactMap { $0 }
        if !dryRun { await restoreConstraints(tables: tables, outcomes: &done) }
        return done
    }

    /// The order of `tables` given the foreign keys between them, when the source knows them; config order
    /// otherwise, or when they cannot be read (logged).
    func tableOrder(_ tables: [TableSpec]) async -> TableOrder {
        guard tables.count > 1, let source = source as? any TableDependencySource else {
            return TableOrder(count: tables.count, references: [:])
        }
        let names = tables.map(\.name)
        let result = await BlockingThread.run(name: "ferry-dependencies") {
            () -> Swift.Result<[TableName: [TableName]], FerryError> in
            do throws(FerryError) {
                return .success(try source.referencedTables(among: names))
            } catch {
                return .failure(error)
            }
        }
        var references: [Int: Set<Int>] = [:]
        switch result {
        case .success(let map):
            for (i, name) in names.enumerated() {
                let referenced = map[name] ?? []
                references[i] = Set(names.indices.filter { referenced.contains(names[$0]) })
            }
        case .failure(let error):
            logger.warning(
                "could not read the foreign keys between the tables; they start in config order",
                metadata: ["error": "\(error.message)"])
        }
        let order = TableOrder(count: tables.count, references: references)
        for cycle in order.cycles {
            logger.notice(
                "the foreign keys of these tables form a cycle; they start in config order",
                metadata: ["cycle": "\(cycle.map { tables[$0].name.description }.joined(separator: " -> "))"])
        }
        return order
    }

    /// Runs one table with retries, records it, and reports it.
    public func runTable(_ spec: TableSpec, runId: String) async -> TableOutcome {
        let engine = self
        let outcome = await BlockingThread.run(name: "ferry-\(spec.name)") {
            engine.runTableBlocking(spec, runId: runId)
        }
        observer?.finished(outcome)
        return outcome
    }

    func runTableBlocking(_ spec: TableSpec, runId: String) -> TableOutcome {
        let started = Date()
        var attempt = 0
        var log = logger
        log[metadataKey: "table"] = "\(spec.name)"
        while true {
            attempt += 1
            let runner = TableRunner(
                spec: spec, source: source, destination: destination, dryRun: dryRun, force: force,
                forceSchemaChanges: forceSchemaChanges, confirmation: confirmation, observer: observer)
            do {
                let result = try runner.run()
                var outcome = TableOutcome(
                    table: spec.name.description, syncMode: spec.syncMode, status: dryRun ? .planned : .succeeded,
                    plan: result.plan, rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, bytes: result.bytes,
                    watermarkBefore: result.plan.watermark?.description,
                    watermarkAfter: result.watermarkAfter?.description, error: nil, attempts: attempt,
                    startedAt: started, finishedAt: Date())
                if dryRun { outcome.watermarkAfter = outcome.watermarkBefore }
                log.info(
                    "table done",
                    metadata: [
                        "mode": "\(result.plan.modeChosen)", "rows": "\(result.rowsWritten)", "attempts": "\(attempt)",
                    ])
                outcome.recordError = record(outcome, runId: runId)
                return outcome
            } catch {
                if error.isTransient && attempt <= retry.maxRetries {
                    let delay = retry.delay(attempt: attempt)
                    log.warning(
                        "transient failure, retrying",
                        metadata: [
                            "error": "\(error.message)", "attempt": "\(attempt)",
                            "delay_s": "\(String(format: "%.2f", delay))",
                        ])
                    Thread.sleep(forTimeInterval: delay)
                    continue
                }
                log.error("table failed", metadata: ["error": "\(error.message)"])
                var outcome = TableOutcome(
                    table: spec.name.description, syncMode: spec.syncMode, status: .failed, plan: nil,
                    error: error.forTable(spec.name.description), attempts: attempt, startedAt: started,
                    finishedAt: Date())
                outcome.recordError = record(outcome, runId: runId)
                return outcome
            }
        }
    }

    /// Records the table run; the error when the store could not take it (logged too).
    private func record(_ outcome: TableOutcome, runId: String) -> FerryError? {
        guard let recorder, !dryRun else { return nil }
        do throws(FerryError) {
            try recorder.record(outcome.record(runId: runId))
            return nil
        } catch {
            logger.error(
                "could not record the table run", metadata: ["table": "\(outcome.table)", "error": "\(error)"])
            return error
        }
    }
}

extension TableOutcome {
    /// The audit-trail row for this outcome.
    public func record(runId: String) -> TableRunRecord {
        TableRunRecord(
            runId: runId, table: table, syncMode: syncMode.rawValue, modeChosen: modeChosen, strategy: strategy,
            rowsRead: rowsRead, rowsWritten: rowsWritten, bytes: bytes, watermarkBefore: watermarkBefore,
            watermarkAfter: watermarkAfter, startedAt: startedAt, finishedAt: finishedAt, status: status.rawValue,
            error: error?.message, attempts: attempts)
    }
}
