import FerryCore
import Foundation
import Logging

/// One CDC run on its own thread: setup and safety checks, initial loads, then the stream.
struct CDCRun {
    let pipeline: CDCPipeline
    let specs: [TableSpec]
    let follow: Bool
    let stop: StopSignal
    let started: Date

    var writers: [String: any ChangeWriter] = [:]
    var openWriters: [any TableWriter] = []
    /// Per table: rows loaded by a snapshot in this run, changes applied, and the mode label.
    var loaded: [String: Int64] = [:]
    var applied: [String: Int64] = [:]
    var positionsBefore: [String: LSN] = [:]
    var record: CDCPipelineRecord?
    var batcher = ChangeBatcher(tables: [])
    /// Source shapes read in this attempt (a table loaded and then streamed is described once).
    var schemas: [String: TableSchema] = [:]
    /// Source commit time of each applied batch's last transaction, by the batch's end, until a confirmation of that
    /// position records it with the pipeline (`advance`): each position is stored with its own batch's time.
    var commitTimes: [LSN: Date] = [:]

    init(pipeline: CDCPipeline, specs: [TableSpec], follow: Bool, stop: StopSignal) {
        self.pipeline = pipeline
        self.specs = specs
        self.follow = follow
        self.stop = stop
        self.started = pipeline.clock.now()
    }

    var clock: any WallClock { pipeline.clock }

    var slot: String { pipeline.settings.slotName }
    var log: Logger { pipeline.logger }

    /// Runs the pipeline; a transient failure (connection lost, slot still held by a dead session) starts it
    /// again from the positions the targets hold, after a back-off: forever when following, up to
    /// `pipeline.retry.maxRetries` times otherwise. Nothing pending is lost: it was neither applied nor confirmed.
    mutating func execute() -> CDCResult {
        var attempt = 0
        while true {
            attempt += 1
            do throws(FerryError) {
                try prepare()
                try stream()
                closeWriters()
                return result(error: nil)
            } catch {
                closeWriters()
                let again = follow || attempt <= pipeline.retry.maxRetries
                guard error.isTransient, again, !stop.isStopped else {
                    log.error("cdc pipeline stopped", metadata: ["error": "\(error)"])
                    return result(error: error)
                }
                let delay = pipeline.retry.delay(attempt: min(attempt, 6))
                log.warning(
                    "cdc pipeline interrupted, starting again",
                    metadata: [
                        "error": "\(error.message)", "attempt": "\(attempt)",
                        "delay_s": "\(String(format: "%.1f", delay))",
                    ])
                var waited = 0.0
                while waited < delay && !stop.isStopped {
                    Thread.sleep(forTimeInterval: 0.2)
                    waited += 0.2
                }
                if stop.isStopped { return result(error: nil) }
            }
        }
    }

    private mutating func closeWriters() {
        for w in openWriters { w.close() }
        openWriters = []
        writers = [:]
    }

    private func result(error: FerryError?) -> CDCResult {
        let finished = clock.now()
        let outcomes = specs.map { spec -> TableOutcome in
            let key = ChangeBatcher.key(spec.name)
            let position = batcher.tables[key]?.position
            let failed = error != nil && (error?.table == nil || error?.table == spec.name.description)
            var mode = "stream"
            if let rows = loaded[key] { mode = "snapshot (\(rows) rows) + stream" }
            return TableOutcome(
                table: spec.name.description, syncMode: .cdc, status: failed ? .failed : .succeeded,
                plan: TablePlan(
                    table: spec.name.description, target: spec.targetName.description, syncMode: .cdc,
                    modeChosen: mode, writeMode: .upsert(key: batcher.tables[key]?.schema.primaryKey ?? []),
                    filter: nil, watermark: nil, expectedRows: 0, targetRows: 0, readStatement: "",
                    writeStatements: []),
                rowsRead: (loaded[key] ?? 0) + (applied[key] ?? 0),
                rowsWritten: (loaded[key] ?? 0) + (applied[key] ?? 0), bytes: 0,
                watermarkBefore: positionsBefore[key]?.description, watermarkAfter: position?.description,
                error: failed ? error : nil, attempts: 1, startedAt: started, finishedAt: finished)
        }
        return CDCResult(outcomes: outcomes, appliedThrough: record?.appliedThrough, error: error)
    }

    // MARK: Setup

    /// Checks the source and the slot, creates what is missing, loads tables that have no position yet.
    private mutating func prepare() throws(FerryError) {
        schemas = [:]
        commitTimes = [:]
        let names = specs.map(\.name)
        try pipeline.source.checkReadiness(tables: names)
        for spec in specs {
            let writer = try pipeline.destination.openWriter(spec.targetName)
            openWriters.append(writer)
            guard let changeWriter = writer as? any ChangeWriter else {
                throw FerryError(
                    .config, "this target cannot apply a change stream (sync_mode cdc)",
                    table: spec.name.description)
            }
            writers[ChangeBatcher.key(spec.name)] = changeWriter
        }
        record = try pipeline.recorder.cdcPipeline(slot: slot)
        let systemId = try pipeline.source.systemIdentifier()
        let slotState = try pipeline.source.slotState()
        if record == nil || record?.status == .creating {
            try createPipeline(existingSlot: slotState, systemId: systemId)
        } else {
            try checkSource(systemId)
            try checkSlot(slotState)
        }
        var positions: [String: LSN] = [:]
        for spec in specs {
            let key = ChangeBatcher.key(spec.name)
            if let p = try writers[key]?.appliedPosition(pipeline: slot) { positions[key] = p }
        }
        positionsBefore = positions
        let missing = specs.filter { positions[ChangeBatcher.key($0.name)] == nil }
        if !missing.isEmpty {
            log.info(
                "loading tables that joined the pipeline",
                metadata: ["tables": "\(missing.map(\.name.description).joined(separator: ","))"])
            try pipeline.source.preparePublication(tables: names)
            let snapshot = try pipeline.source.createSlot(temporary: true)
            defer { snapshot.close() }
            for (key, p) in try load(missing, from: snapshot) { positions[key] = p }
        }
        var states: [ChangeBatcher.TableState] = []
        for (spec, writer) in zip(specs, openWriters) {
            let key = ChangeBatcher.key(spec.name)
            guard let position = positions[key] else { continue }
            let schema = Self.keepingDroppedColumns(try sourceSchema(spec), target: try writer.existingSchema())
            states.append(
                ChangeBatcher.TableState(
                    spec: spec, position: position, schema: schema,
                    keyIndexes: schema.primaryKey.compactMap { schema.index(of: $0) }))
        }
        batcher = ChangeBatcher(tables: states)
    }

    /// A first run (or one that crashed during its initial load): a fresh slot and a load of every table.
    private mutating func createPipeline(existingSlot: SlotState?, systemId: String) throws(FerryError) {
        if existingSlot != nil {
            guard record?.status == .creating else {
                throw FerryError(
                    .config,
                    "replication slot \(slot) already exists but the state store \(pipeline.recorder.location) has no "
                        + "pipeline using it; if it is left over from an earlier setup, drop it with "
                        + "`ferry cleanup --config <file>` (or use another cdc.slot_name)")
            }
            log.warning("an earlier initial load was interrupted; starting it again", metadata: ["slot": "\(slot)"])
            try pipeline.source.dropSlotAndPublication()
        }
        var fresh = CDCPipelineRecord(
            slotName: slot, publication: pipeline.settings.publicationName, status: .creating, appliedThrough: nil,
            lastCommitAt: nil, systemId: systemId)
        try pipeline.recorder.saveCDCPipeline(fresh)
        record = fresh
        try pipeline.source.preparePublication(tables: specs.map(\.name))
        let snapshot = try pipeline.source.createSlot(temporary: false)
        defer { snapshot.close() }
        log.info("replication slot created", metadata: ["slot": "\(slot)", "lsn": "\(snapshot.consistentPoint)"])
        _ = try load(specs, from: snapshot)
        fresh.status = .streaming
        fresh.appliedThrough = snapshot.consistentPoint
        fresh.updatedAt = clock.now()
        try pipeline.recorder.saveCDCPipeline(fresh)
        record = fresh
    }

    /// Positions compare only within the cluster the pipeline was created on; a store written before Ferry
    /// recorded the cluster learns it now.
    private mutating func checkSource(_ systemId: String) throws(FerryError) {
        guard var current = record else { return }
        guard let known = current.systemId else {
            current.systemId = systemId
            try pipeline.recorder.saveCDCPipeline(current)
            record = current
            return
        }
        guard known == systemId else {
            throw FerryError(
                .integrity,
                "the source is another PostgreSQL cluster (system identifier \(systemId)) than the one pipeline "
                    + "\(slot) was created on (\(known)), after a restore or an upgrade: its positions mean nothing "
                    + "there and changes would be skipped; " + Self.resync)
        }
    }

    static let resync = "resynchronise with `ferry cleanup --config <file>` then `ferry run --config <file>`"

    /// Refuses to stream from a slot that is gone, broken, or ahead of what the targets hold.
    private func checkSlot(_ state: SlotState?) throws(FerryError) {
        let resync = Self.resync
        guard let state else {
            throw FerryError(
                .integrity,
                "replication slot \(slot) no longer exists on the source, so changes since the last run may be lost; "
                    + resync)
        }
        if state.invalidated || state.walStatus == "lost" {
            throw FerryError(
                .integrity,
                "replication slot \(slot) was invalidated by the server (the WAL it needed was removed, see "
                    + "max_slot_wal_keep_size); changes were lost; " + resync)
        }
        if let confirmed = state.confirmedFlush, let applied = record?.appliedThrough, confirmed > applied {
            throw FerryError(
                .integrity,
                "replication slot \(slot) is at \(confirmed) but the targets hold changes only up to \(applied): "
                    + "the slot was recreated or consumed by another client, and changes in between would be "
                    + "skipped; " + resync)
        }
    }

    /// Loads `tables` from `snapshot` (a full replace each) and stores the snapshot's position with each target.
    private mutating func load(
        _ tables: [TableSpec], from snapshot: any SlotSnapshot
    ) throws(FerryError) -> [String: LSN] {
        let source = SnapshotSource(snapshot: snapshot, specs: Dictionary(tables.map { ($0.name, $0) }) { a, _ in a })
        var positions: [String: LSN] = [:]
        for spec in tables {
            var full = spec
            full.syncMode = .fullReplace
            // The change appliers write the shape the stream carries (no generated columns, Ferry's types), so
            // the snapshot load does not copy the source's own definition.
            full.schemaSync = false
            let runner = TableRunner(
                spec: full, source: source, destination: pipeline.destination, dryRun: false, force: pipeline.force,
                confirmation: pipeline.confirmation, observer: pipeline.observer)
            let result = try runner.run()
            let key = ChangeBatcher.key(spec.name)
            let schema = try sourceSchema(spec)
            try writers[key]?.apply(
                ChangeSet(), schema: schema, position: snapshot.consistentPoint, pipeline: slot)
            try pipeline.recorder.saveCDCTables([
                CDCTableRecord(
                    slotName: slot, table: spec.name.description, position: snapshot.consistentPoint,
                    lastCommitAt: nil, changesApplied: 0)
            ])
            loaded[key] = result.rowsWritten
            positions[key] = snapshot.consistentPoint
            log.info(
                "table loaded from the slot's snapshot",
                metadata: [
                    "table": "\(spec.name)", "rows": "\(result.rowsWritten)", "lsn": "\(snapshot.consistentPoint)",
                ])
        }
        return positions
    }

    /// The source's shape plus the target's columns the source no longer has (dropped while no run was
    /// streaming), nullable: those stay in the target, NULL in every row written from then on, as they do when
    /// the drop arrives in the stream.
    static func keepingDroppedColumns(_ schema: TableSchema, target: TableSchema?) -> TableSchema {
        guard let target else { return schema }
        var out = schema
        for column in target.columns where schema.column(named: column.name) == nil {
            var kept = column
            kept.nullable = true
            out.columns.append(kept)
        }
        return out
    }

    /// The table as the stream carries it (with the configured key), plus Ferry's own columns.
    private mutating func sourceSchema(_ spec: TableSpec) throws(FerryError) -> TableSchema {
        let key = ChangeBatcher.key(spec.name)
        if let known = schemas[key] { return known }
        var schema = try TablePlanner(spec: spec).effectiveSchema(try pipeline.source.describe(spec.name))
        if schema.primaryKey.isEmpty {
            throw FerryError(
                .schema,
                "the table has no primary key, which CDC needs to apply updates and deletes; set primary_key: "
                    + "(the columns that identify a row) in the config",
                table: spec.name.description)
        }
        schema = ExtraColumns.append(to: schema, spec: spec)
        schemas[key] = schema
        return schema
    }
}
