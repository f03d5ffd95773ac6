import FerryCore
import Foundation

/// Runs one table from plan to commit on the calling (dedicated) thread.
///
/// Reading and writing overlap: a second thread reads batches into a bounded `BatchQueue` while this one writes
/// them. Nothing is visible in the target until `commit`, and every failure path aborts the write, so an
/// interrupted run leaves the target as it was.
struct TableRunner {
    let spec: TableSpec
    let source: any Source
    let destination: any Destination
    let dryRun: Bool
    let force: Bool
    let confirmation: (any ReplaceConfirmation)?
    let observer: (any ProgressObserver)?

    var label: String { spec.name.description }

    struct Result {
        var plan: TablePlan
        var rowsRead: Int64 = 0
        var rowsWritten: Int64 = 0
        var bytes: Int64 = 0
        var watermarkAfter: ScalarValue?
    }

    /// Plans and, unless dry-running, executes the table.
    func run() throws(FerryError) -> Result {
        let reader = try source.openReader(spec.name)
        defer { reader.close() }
        let writer = try destination.openWriter(spec.targetName)
        defer { writer.close() }
        if !dryRun { try writer.recover() }

        let planner = TablePlanner(spec: spec)
        let schema = try planner.effectiveSchema(reader.schema)
        let existing = try writer.existingSchema()
        let targetRows = existing == nil ? 0 : try writer.rowCount()

        switch spec.syncMode {
        case .fullReplace:
            return try execute(
                plan(schema, reader, writer, full: true, targetRows: targetRows, label: "full"), reader, writer)
        case .incremental:
            let label = existing == nil ? "initial load" : nil
            return try execute(
                plan(schema, reader, writer, full: false, targetRows: targetRows, label: label), reader, writer)
        case .cdc:
            throw FerryError(
                .config, "sync_mode cdc tables run through the CDC pipeline, not one at a time", table: label)
        case .smartSync:
            if targetRows == 0 {
                return try execute(
                    plan(schema, reader, writer, full: true, targetRows: targetRows, label: "full (target empty)"),
                    reader, writer)
            }
            do {
                return try execute(
                    plan(schema, reader, writer, full: false, targetRows: targetRows, label: nil), reader, writer)
            } catch {
                guard spec.fallbackToFull, !error.isTransient, error.code != .notConfirmed else { throw error }
                let fallback = "full (fallback: \(error.message))"
                return try execute(
                    plan(schema, reader, writer, full: true, targetRows: targetRows, label: fallback), reader, writer)
            }
        }
    }

    private func plan(
        _ schema: TableSchema, _ reader: any TableReader, _ writer: any TableWriter, full: Bool, targetRows: Int64,
        label: String?
    ) throws(FerryError) -> TablePlan {
        var filter: RowFilter?
        var watermark: ScalarValue?
        var mode: WriteMode
        var chosen: String
        if full {
            mode = TablePlanner(spec: spec).fullMode()
            chosen = label ?? "full"
        } else {
            if let col = spec.incrementalColumn, let existing = try writer.existingSchema() {
                guard let targetColumn = existing.column(named: col) else {
                    throw FerryError(
                        .schema, "incremental_column \(col) does not exist in the target table \(spec.targetName)",
                        table: label)
                }
                watermark = try writer.maxValue(of: col, type: targetColumn.type)
            }
            let inc = try TablePlanner(spec: spec).incremental(schema: schema, watermark: watermark)
            filter = inc.filter
            mode = inc.mode
            chosen = label ?? inc.label
        }
        var expected = try reader.count(filter: filter)
        if let limit = spec.rowLimit { expected = min(expected, Int64(limit)) }
        return TablePlan(
            table: self.label, target: spec.targetName.description, syncMode: spec.syncMode, modeChosen: chosen,
            writeMode: mode, filter: filter, watermark: watermark, expectedRows: expected, targetRows: targetRows,
            readStatement: reader.describeRead(filter: filter, limit: spec.rowLimit),
            writeStatements: writer.describeWrite(schema: schema, mode: mode))
    }

    private func execute(
        _ plan: TablePlan, _ reader: any TableReader, _ writer: any TableWriter
    ) throws(FerryError)
        -> Result
    {
        var result = Result(plan: plan)
        observer?.started(table: label, plan: plan)
        if dryRun { return result }
        if case .replace = plan.writeMode, plan.targetRows > 0, !force {
            let ok = confirmation?.confirmReplace(table: label, targetRows: plan.targetRows) ?? false
            if !ok {
                throw FerryError(
                    .notConfirmed,
                    "full_replace would replace the \(plan.targetRows) rows of the target table and was not confirmed; "
                        + "run with --force (or set settings.confirm: false) to allow it",
                    table: label)
            }
        }
        let schema = try TablePlanner(spec: spec).effectiveSchema(reader.schema)
        try writer.begin(schema: schema, mode: plan.writeMode)
        do throws(FerryError) {
            let (read, bytes) = try pump(plan: plan, reader: reader, writer: writer)
            result.rowsRead = read
            result.bytes = bytes
            if spec.rowLimit == nil && read != plan.expectedRows {
                throw FerryError(
                    .integrity,
                    "read \(read) rows but the snapshot counted \(plan.expectedRows); nothing was committed",
                    table: label)
            }
            result.rowsWritten = try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
        if result.rowsWritten != result.rowsRead {
            throw FerryError(
                .integrity,
                "wrote \(result.rowsWritten) rows but read \(result.rowsRead); the target may be incomplete, run again with --force",
                table: label)
        }
        if spec.syncMode != .fullReplace, let col = spec.incrementalColumn {
            let type = schema.column(named: col)?.type ?? .int64
            result.watermarkAfter = try writer.maxValue(of: col, type: type)
        }
        return result
    }

    /// Reads on a second thread and writes here, through a bounded queue.
    private func pump(
        plan: TablePlan, reader: any TableReader, writer: any TableWriter
    ) throws(FerryError) -> (
        Int64, Int64
    ) {
        let queue = BatchQueue(capacity: 4)
        let spec = self.spec
        let box = ReaderBox(reader)
        let readerThread = BlockingThread.start(name: "ferry-read-\(label)") {
            do throws(FerryError) {
                _ = try box.reader.read(filter: plan.filter, limit: spec.rowLimit, batchSize: spec.batchSize) {
                    (batch: RecordBatch) throws(FerryError) in
                    try queue.put(batch)
                }
                queue.finish()
            } catch {
                queue.finish(error: error)
            }
        }
        var rows: Int64 = 0
        var bytes: Int64 = 0
        do throws(FerryError) {
            while let batch = try queue.take() {
                try writer.write(batch)
                rows += Int64(batch.rowCount)
                bytes += Int64(batch.byteCount)
                observer?.progress(table: label, rows: rows, bytes: bytes)
            }
        } catch {
            queue.cancel()
            readerThread.join()
            throw error
        }
        readerThread.join()
        return (rows, bytes)
    }
}

/// Moves a reader to the reading thread; the writer thread does not touch it until the reader thread is joined.
private final class ReaderBox: @unchecked Sendable {
    let reader: any TableReader
    init(_ reader: any TableReader) { self.reader = reader }
}
