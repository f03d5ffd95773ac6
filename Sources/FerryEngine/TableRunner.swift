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
    var forceSchemaChanges = false
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
        let loads = try planner.loads(targetExists: existing != nil, targetRows: targetRows)
        var context = Context(planner: planner, schema: schema, existing: existing, targetRows: targetRows)
        context.native = try nativeCopy(reader, writer)
        do {
            return try execute(
                plan(loads.first, context, reader, writer), schema: schema, native: context.native, reader, writer)
        } catch {
            guard case .full = loads.fallback, planner.fallsBack(after: error) else { throw error }
            let fallback = TablePlanner.Load.full(label: planner.fallbackLabel(after: error))
            return try execute(
                plan(fallback, context, reader, writer), schema: schema, native: context.native, reader, writer)
        }
    }

    /// What planning a load needs besides the load itself.
    private struct Context {
        var planner: TablePlanner
        var schema: TableSchema
        var existing: TableSchema?
        var targetRows: Int64
        /// Set when the table is copied with its own definition, rows undecoded (same kind of database).
        var native: NativeCopy?
    }

    /// A copy between two databases of the same kind: the reader's definition and rows, the writer's native side.
    struct NativeCopy {
        var reader: any NativeTableReader
        var writer: any NativeTableWriter
        var definition: NativeTableDefinition
    }

    /// The native copy, when both sides offer one of the same dialect and the table asks for nothing only the
    /// typed path does (CDC's change stream, soft deletes, metadata columns) and `schema_sync` is on.
    private func nativeCopy(_ reader: any TableReader, _ writer: any TableWriter) throws(FerryError) -> NativeCopy? {
        // A `primary_key` the source does not declare needs a unique index the source's definition does not have.
        if let key = spec.primaryKey, key != reader.schema.primaryKey { return nil }
        guard spec.schemaSync, spec.syncMode != .cdc, spec.deletes == .hard, !spec.metadataColumns,
            let nativeReader = reader as? any NativeTableReader, let nativeWriter = writer as? any NativeTableWriter
        else { return nil }
        guard let definition = try nativeReader.nativeDefinition(), nativeWriter.acceptsNative(definition) else {
            return nil
        }
        return NativeCopy(reader: nativeReader, writer: nativeWriter, definition: definition)
    }

    /// The facts `load` needs (the target's watermark, the source's row count), read, then planned.
    private func plan(
        _ load: TablePlanner.Load, _ c: Context, _ reader: any TableReader, _ writer: any TableWriter
    ) throws(FerryError) -> TablePlan {
        var watermark: ScalarValue?
        if let column = try c.planner.watermarkColumn(for: load, target: c.existing) {
            watermark = try writer.maxValue(of: column.name, type: column.type)
        }
        let filter = try c.planner.write(load, schema: c.schema, watermark: watermark).filter
        let force = forceSchemaChanges
        let native = c.native
        return try c.planner.plan(
            load, schema: c.schema, watermark: watermark, sourceRows: try reader.count(filter: filter),
            targetRows: c.targetRows,
            describeRead: { filter, limit in
                if let native { return native.reader.describeNativeRead(filter: filter, limit: limit) }
                return reader.describeRead(filter: filter, limit: limit)
            },
            describeWrite: { schema, mode in
                if let native { return native.writer.describeNativeWrite(native.definition, mode: mode, force: force) }
                return writer.describeWrite(schema: schema, mode: mode)
            })
    }

    private func execute(
        _ plan: TablePlan, schema: TableSchema, native: NativeCopy?, _ reader: any TableReader,
        _ writer: any TableWriter
    ) throws(FerryError) -> Result {
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
        if let native {
            try native.writer.beginNative(native.definition, mode: plan.writeMode, force: forceSchemaChanges)
        } else {
            try writer.begin(schema: schema, mode: plan.writeMode)
        }
        do throws(FerryError) {
            let (read, bytes) =
                if let native {
                    try pumpNative(plan: plan, native: native)
                } else {
                    try pump(plan: plan, reader: reader, writer: writer)
                }
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

extension TableRunner {
    /// Chunks of this size (whole rows) cross from the reader thread to the writer thread in a native copy.
    static let nativeChunkBytes = 1 << 20

    /// Like `pump`, for a native copy: the source's COPY stream in chunks of whole rows, four chunks in flight.
    fileprivate func pumpNative(plan: TablePlan, native: NativeCopy) throws(FerryError) -> (Int64, Int64) {
        let queue = BoundedQueue<NativeRows>(capacity: 4)
        let spec = self.spec
        let box = NativeReaderBox(native.reader)
        let counted = CountBox()
        let readerThread = BlockingThread.start(name: "ferry-read-\(label)") {
            do throws(FerryError) {
                counted.rows = try box.reader.readNative(
                    filter: plan.filter, limit: spec.rowLimit, chunkBytes: Self.nativeChunkBytes
                ) { (rows: NativeRows) throws(FerryError) in
                    try queue.put(rows)
                }
                queue.finish()
            } catch {
                queue.finish(error: error)
            }
        }
        var bytes: Int64 = 0
        var messages: Int64 = 0
        do throws(FerryError) {
            while let rows = try queue.take() {
                try native.writer.writeNative(rows)
                bytes += Int64(rows.bytes.count)
                messages += Int64(rows.rows)
                observer?.progress(table: label, rows: messages, bytes: bytes)
            }
        } catch {
            queue.cancel()
            readerThread.join()
            throw error
        }
        readerThread.join()
        return (counted.rows, bytes)
    }
}

/// The row count the reader thread's COPY ended with, read by the writer thread after the join.
private final class CountBox: @unchecked Sendable {
    var rows: Int64 = 0
}

/// Moves a reader to the reading thread; the writer thread does not touch it until the reader thread is joined.
private final class ReaderBox: @unchecked Sendable {
    let reader: any TableReader
    init(_ reader: any TableReader) { self.reader = reader }
}

/// The same, for a native copy's reader.
private final class NativeReaderBox: @unchecked Sendable {
    let reader: any NativeTableReader
    init(_ reader: any NativeTableReader) { self.reader = reader }
}
