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
        var lastRequest = Date.distantPast
        while true {
            if stop.isStopped && !batcher.isInTransaction { break }
            let event = try stream.next(timeout: waitTime())
            guard let event else {
                if batchIsDue() { try flush(stream) }
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
                    try flush(stream)
                    return
                }
                if batchIsDue() { try flush(stream) }
            case .idle(let walEnd):
                if batcher.hasPending { try flush(stream) }
                if let applied = record?.appliedThrough, walEnd > applied {
                    try advance(to: walEnd, commitTime: nil, stream: stream)
                }
                if let stopAt, walEnd >= stopAt { return }
            default:
                continue
            }
        }
        try flush(stream)
        log.info(
            "stopped",
            metadata: ["slot": "\(slot)", "applied_through": "\(record?.appliedThrough.map { "\($0)" } ?? "-")"])
    }

    /// How long to wait for the next event: until the pending batch is due, at most a second (to notice a stop).
    private func waitTime() -> Double {
        guard let first = batcher.firstChangeAt else { return 1 }
        let left = pipeline.settings.batchMaxSeconds - Date().timeIntervalSince(first)
        return min(1, max(0.01, left))
    }

    /// Whether the pending batch should be applied now (only whole transactions are ever pending).
    private func batchIsDue() -> Bool {
        guard batcher.hasPending, !batcher.isInTransaction else { return false }
        if batcher.pendingChanges >= pipeline.settings.batchMaxRows { return true }
        guard let first = batcher.firstChangeAt else { return false }
        return Date().timeIntervalSince(first) >= pipeline.settings.batchMaxSeconds
    }

    /// Applies the pending batch to every touched table (each with the batch's end LSN), records it, confirms it.
    mutating func flush(_ stream: any ChangeStream) throws(FerryError) {
        guard let batch = batcher.take() else { return }
        var records: [CDCTableRecord] = []
        let commitAt = batch.commitTime.map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
        for (key, changes, count) in batch.sets {
            guard let writer = writers[key], let state = batcher.tables[key] else { continue }
            let label = state.spec.name.description
            do throws(FerryError) {
                try writer.apply(changes, schema: state.schema, position: batch.end, pipeline: slot)
            } catch {
                throw error.forTable(label)
            }
            batcher.advance(key, to: batch.end)
            applied[key, default: 0] += count
            records.append(
                CDCTableRecord(
                    slotName: slot, table: label, position: batch.end, lastCommitAt: commitAt, changesApplied: count))
            pipeline.observer?.progress(table: label, rows: applied[key] ?? 0, bytes: 0)
        }
        try pipeline.store.saveCDCTables(records)
        try advance(to: batch.end, commitTime: commitAt, stream: stream)
        if !batch.sets.isEmpty {
            let now = Date().timeIntervalSince1970 * 1000
            let lag = { (micros: Int64?) in micros.map { String(format: "%.0f", now - Double($0) / 1000) } ?? "-" }
            log.info(
                "batch applied",
                metadata: [
                    "lsn": "\(batch.end)", "changes": "\(batch.sets.reduce(0) { $0 + $1.2 })",
                    "tables": "\(batch.sets.count)", "lag_ms": "\(lag(batch.commitTime))",
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
