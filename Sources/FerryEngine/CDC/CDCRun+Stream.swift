import FerryCore
import Foundation
import Logging

extension CDCRun {
    /// Streams and applies micro-batches until caught up with the moment the run started (or, following, until
    /// stopped), then applies what is pending and confirms it.
    ///
    /// Only I/O happens here: every decision (when a batch is due, when to hand over part of a huge transaction,
    /// what to confirm, when to stop) is `CDCStreamStateMachine`'s, fed with the events, the clock and what the
    /// batcher and the applier hold.
    mutating func stream() throws(FerryError) {
        guard let start = record?.appliedThrough else {
            throw FerryError(.integrity, "the CDC pipeline has no start position; run ferry cleanup and start again")
        }
        let stopAt: LSN? = follow ? nil : try pipeline.source.currentLSN()
        var keys: [TableName: [String]] = [:]
        for state in batcher.tables.values { keys[state.spec.name] = state.schema.primaryKey }
        let stream = try pipeline.source.openStream(from: start, keys: keys)
        defer { stream.close() }
        log.info(
            "streaming changes",
            metadata: [
                "slot": "\(slot)", "from": "\(start)", "until": "\(stopAt.map { "\($0)" } ?? "stopped (--follow)")",
            ])
        let applier = makeApplier()
        defer { applier.stop() }
        let settings = pipeline.settings
        var machine = CDCStreamStateMachine(
            settings: .init(
                batchMaxRows: settings.batchMaxRows, batchMaxBytes: Int(clamping: settings.batchMaxBytes),
                batchMaxSeconds: settings.batchMaxSeconds),
            stopAt: stopAt, appliedThrough: start)
        streaming: while true {
            if stop.isStopped { machine.requestStop() }
            let step = machine.nextStep(pending: batcher.pending, applying: !applier.isIdle, now: clock.now())
            guard case .read(let timeout, let gather) = step else { break streaming }
            let event = try stream.next(timeout: timeout, gather: gather)
            var (done, idle) = try applier.collectIfIdle()
            var actions = machine.applied(done.map(\.end), applierIdle: idle, pending: batcher.pending)
            if !done.isEmpty { try record(done, stream: stream) }
            try execute(actions, applier: applier, stream: stream)
            let now = clock.now()
            guard let event else {
                actions = machine.timedOut(pending: batcher.pending, now: now)
                if try execute(actions, applier: applier, stream: stream) { break streaming }
                continue
            }
            try batcher.add(event, now: now)
            let kind: CDCStreamStateMachine.Event
            switch event {
            case .commit(_, let end, _): kind = .commit(end: end)
            case .row: kind = .row
            case .idle(let walEnd):
                kind = .idle(walEnd: walEnd)
                // Whether the server's position may be confirmed depends on the applier being idle: what it
                // finished since the collect above is recorded (and confirmed) first, so an idle position is never
                // confirmed ahead of a batch's.
                (done, idle) = try applier.collectIfIdle()
                actions = machine.applied(done.map(\.end), applierIdle: idle, pending: batcher.pending)
                if !done.isEmpty { try record(done, stream: stream) }
                try execute(actions, applier: applier, stream: stream)
            default: kind = .other
            }
            actions = machine.received(kind, pending: batcher.pending, applierIdle: idle, now: now)
            if try execute(actions, applier: applier, stream: stream) { break streaming }
        }
        try flush(applier)
        let drained = try applier.drain()
        let actions = machine.applied(drained.map(\.end), applierIdle: true, pending: batcher.pending)
        try record(drained, stream: stream)
        try execute(actions, applier: applier, stream: stream)
        log.info(
            "stopped",
            metadata: ["slot": "\(slot)", "applied_through": "\(record?.appliedThrough.map { "\($0)" } ?? "-")"])
    }

    /// Executes the machine's actions; `true` when one of them is `finish`.
    @discardableResult
    private mutating func execute(
        _ actions: [CDCStreamStateMachine.Action], applier: BatchApplier, stream: any ChangeStream
    ) throws(FerryError) -> Bool {
        var finish = false
        for action in actions {
            switch action {
            case .flush, .applyPart: try flush(applier)
            case .confirm(let lsn): try advance(to: lsn, stream: stream)
            case .requestStatus: try stream.requestStatus()
            case .finish: finish = true
            }
        }
        return finish
    }

    /// The applier: each batch's change sets applied to their targets with the batch's end LSN, then the tables'
    /// positions recorded. Runs on the applier's thread; only it touches the writers while streaming.
    private func makeApplier() -> BatchApplier {
        let writers = self.writers
        let store = pipeline.recorder
        let slot = self.slot
        return BatchApplier(clock: clock) { (batch: CDCBatch) throws(FerryError) in
            var records: [CDCTableRecord] = []
            let commitAt = batch.commitTime.map(CDCBatch.date(micros:))
            for table in batch.tables {
                guard let writer = writers[table.key] else { continue }
                do throws(FerryError) {
                    try writer.apply(table.changes, schema: table.schema, at: batch.position, pipeline: slot)
                } catch {
                    throw error.forTable(table.label)
                }
                guard let end = batch.end else { continue }
                records.append(
                    CDCTableRecord(
                        slotName: slot, table: table.label, position: end, lastCommitAt: commitAt,
                        changesApplied: table.count))
            }
            try store.saveCDCTables(records)
        }
    }

    /// Hands the pending batch to the applier (waiting while the previous one is still being applied).
    mutating func flush(_ applier: BatchApplier) throws(FerryError) {
        guard let batch = batcher.take() else { return }
        try applier.submit(batch)
    }

    /// Takes note of applied batches: counters, each table's position, the commit time the pipeline records with
    /// its next position. Confirming is the machine's decision (`Action.confirm`).
    private mutating func record(_ batches: [CDCBatch], stream: any ChangeStream) throws(FerryError) {
        for batch in batches {
            guard let end = batch.end else {
                log.info(
                    "part of a transaction applied",
                    metadata: [
                        "position": "\(batch.position)",
                        "changes": "\(batch.tables.reduce(0) { $0 + $1.count })", "tables": "\(batch.tables.count)",
                    ])
                continue
            }
            for table in batch.tables {
                batcher.advance(table.key, to: end)
                applied[table.key, default: 0] += table.count
                pipeline.observer?.progress(table: table.label, rows: applied[table.key] ?? 0, bytes: 0)
            }
            if let commitTime = batch.commitTime { commitTimes[end] = CDCBatch.date(micros: commitTime) }
            guard !batch.tables.isEmpty else { continue }
            let now = (batch.appliedAt ?? clock.now()).timeIntervalSince1970 * 1000
            let lag = { (micros: Int64?) in micros.map { String(format: "%.0f", now - Double($0) / 1000) } ?? "-" }
            log.info(
                "batch applied",
                metadata: [
                    "lsn": "\(end)", "changes": "\(batch.tables.reduce(0) { $0 + $1.count })",
                    "tables": "\(batch.tables.count)", "lag_ms": "\(lag(batch.commitTime))",
                    "max_lag_ms": "\(lag(batch.firstCommitTime))",
                ])
        }
    }

    /// Records that every target holds the source up to `lsn` (with the last source commit applied), then tells
    /// the slot.
    private mutating func advance(to lsn: LSN, stream: any ChangeStream) throws(FerryError) {
        guard var current = record else { return }
        current.appliedThrough = lsn
        // The commit time of the latest batch this position covers; an idle position past them keeps it.
        if let covered = commitTimes.keys.filter({ $0 <= lsn }).max(), let time = commitTimes[covered] {
            current.lastCommitAt = time
        }
        commitTimes = commitTimes.filter { $0.key > lsn }
        current.updatedAt = clock.now()
        try pipeline.recorder.saveCDCPipeline(current)
        record = current
        try stream.confirm(lsn)
    }
}
