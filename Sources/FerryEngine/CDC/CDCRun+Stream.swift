import FerryCore
import FerryState
import Foundation
import Logging

extension CDCRun {
    /// Streams and applies micro-batches until caught up with the moment the run started (or, following, until
    /// stopped), then applies what is pending and confirms it.
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
        var lastRequest = Date.distantPast
        // The latest server position an idle event reported and that is not confirmed yet. The stream reports a
        // position once; if a batch was pending or applying then, it is confirmed as soon as nothing is (else a
        // quiet slot would wait for the server's next WAL, minutes on an idle database).
        var idleEnd: LSN?
        while true {
            if stop.isStopped && !batcher.isInTransaction { break }
            let event = try stream.next(timeout: waitTime(applying: !applier.isIdle), gather: gatherTime())
            try recordApplied(try applier.collect(), stream: stream)
            if let end = idleEnd, !batcher.hasPending, !batcher.isInTransaction, applier.isIdle {
                try recordApplied(try applier.collect(), stream: stream)  // what finished since the collect above
                if let applied = record?.appliedThrough, end > applied {
                    try advance(to: end, commitTime: nil, stream: stream)
                }
                idleEnd = nil
            }
            guard let event else {
                // Nothing more arrived: the stream has caught up for now, so time alone decides.
                if batchIsDue(quiet: true) { try flush(applier) }
                if stopAt != nil, Date().timeIntervalSince(lastRequest) >= 1 {
                    try stream.requestStatus()
                    lastRequest = Date()
                }
                continue
            }
            try batcher.add(event)
            switch event {
            case .commit(_, let end, _):
                if let stopAt, end >= stopAt {
                    try flush(applier)
                    try recordApplied(try applier.drain(), stream: stream)
                    return
                }
                if batchIsDue() { try flush(applier) }
            case .row:
                // A transaction bigger than a batch's memory is applied in parts, so memory stays bounded (about
                // twice batch_max_memory with the transactions before it). Smaller ones end their batch at their
                // commit.
                if batcher.isInTransaction && batcher.transactionBytes >= pipeline.settings.batchMaxBytes {
                    try flush(applier)
                }
            case .idle(let walEnd):
                // The server's position may be confirmed only once everything received is applied. At the stop
                // position, apply and wait; otherwise only confirm when nothing is pending or being applied: a
                // keepalive follows every confirmation, and flushing on each would cut the stream into tiny
                // batches applied one at a time. Keepalives keep coming, so a quiet slot still moves.
                if let stopAt, walEnd >= stopAt {
                    try flush(applier)
                    try recordApplied(try applier.drain(), stream: stream)
                }
                if !batcher.hasPending, applier.isIdle {
                    try recordApplied(try applier.collect(), stream: stream)
                    if let applied = record?.appliedThrough, walEnd > applied {
                        try advance(to: walEnd, commitTime: nil, stream: stream)
                    }
                } else {
                    idleEnd = max(idleEnd ?? walEnd, walEnd)
                }
                if let stopAt, walEnd >= stopAt { return }
            default:
                continue
            }
        }
        try flush(applier)
        try recordApplied(try applier.drain(), stream: stream)
        log.info(
            "stopped",
            metadata: ["slot": "\(slot)", "applied_through": "\(record?.appliedThrough.map { "\($0)" } ?? "-")"])
    }

    /// How long to wait for the next event: until the pending batch is due, at most a second (to notice a stop);
    /// behind, a full second, so that only real quiet (not a pause in a backlog) applies a batch early. While a
    /// batch is being applied, a twentieth of a second, so that its position is confirmed soon after it commits
    /// even when the stream is quiet.
    private func waitTime(applying: Bool) -> Double {
        let wait = batchWaitTime()
        return applying ? min(wait, 0.05) : wait
    }

    /// How long to let input gather before reading it: while following a source of small transactions, each one
    /// woke the stream thread several times (poll, recv, acks were most of its CPU); a pending batch that is not due
    /// yet can wait a little and take them in bulk. Nothing is gathered when no batch is pending (the first change
    /// starts the clock) or while behind (input is already waiting).
    private func gatherTime() -> Double {
        guard batcher.hasPending, !isBehind() else { return 0 }
        return min(0.02, pipeline.settings.batchMaxSeconds / 20)
    }

    private func batchWaitTime() -> Double {
        guard let first = batcher.firstChangeAt, !isBehind() else { return 1 }
        let left = pipeline.settings.batchMaxSeconds - Date().timeIntervalSince(first)
        return min(1, max(0.01, left))
    }

    /// Whether the pending batch should be applied now (only whole transactions are ever pending).
    ///
    /// `batch_max_seconds` bounds latency, which only matters once caught up: while the batch's newest transaction
    /// is already old (a backlog, or a source writing faster than the target applies), batches grow to
    /// `batch_max_rows`, because each batch costs a rewrite of the files it touches and fewer, bigger batches catch
    /// up faster. A hard cap of ten times `batch_max_seconds` keeps a skewed source clock from holding a batch back.
    private func batchIsDue(quiet: Bool = false) -> Bool {
        guard batcher.hasPending, !batcher.isInTransaction else { return false }
        let settings = pipeline.settings
        if batcher.pendingChanges >= settings.batchMaxRows || batcher.pendingBytes >= settings.batchMaxBytes {
            return true
        }
        // Only transactions with nothing for these tables: nothing to apply, a position to confirm. Held back, it
        // would keep the idle confirmation away for good (that waits for nothing pending).
        guard let first = batcher.firstChangeAt else { return true }
        let age = Date().timeIntervalSince(first)
        guard age >= settings.batchMaxSeconds else { return false }
        if quiet || age >= 10 * settings.batchMaxSeconds { return true }
        return !isBehind()
    }

    /// Whether the newest transaction of the pending batch committed well before now.
    private func isBehind() -> Bool {
        guard let newest = batcher.batchCommitTime else { return false }
        let lag = Date().timeIntervalSince(CDCBatch.date(micros: newest))
        return lag > max(5, 2 * pipeline.settings.batchMaxSeconds)
    }

    /// The applier: each batch's change sets applied to their targets with the batch's end LSN, then the tables'
    /// positions recorded. Runs on the applier's thread; only it touches the writers while streaming.
    private func makeApplier() -> BatchApplier {
        let writers = self.writers
        let store = pipeline.store
        let slot = self.slot
        return BatchApplier { (batch: CDCBatch) throws(FerryError) in
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

    /// Takes note of applied batches: counters, the pipeline's position, then the slot's confirmation.
    private mutating func recordApplied(_ batches: [CDCBatch], stream: any ChangeStream) throws(FerryError) {
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
            let commitAt = batch.commitTime.map(CDCBatch.date(micros:))
            try advance(to: end, commitTime: commitAt, stream: stream)
            guard !batch.tables.isEmpty else { continue }
            let now = (batch.appliedAt ?? Date()).timeIntervalSince1970 * 1000
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

    /// Records that every target holds the source up to `lsn`, then tells the slot.
    private mutating func advance(to lsn: LSN, commitTime: Date?, stream: any ChangeStream) throws(FerryError) {
        guard var current = record else { return }
        current.appliedThrough = lsn
        if let commitTime { current.lastCommitAt = commitTime }
        current.updatedAt = Date()
        try pipeline.store.saveCDCPipeline(current)
        record = current
        try stream.confirm(lsn)
    }
}
