import FerryCore

/// Decides, for one table, everything a run does: the mode (smart_sync's choice and its fallback included), the
/// watermark column, the filter, the write and the expected rows, from the source schema and what the target holds.
/// `TableRunner` only reads those facts and executes the plan.
///
/// Incremental watermarks are `MAX(col)` of the target's own data (the runner reads it where `watermarkColumn`
/// says), so a watermark can never run ahead of what the target committed.
struct TablePlanner {
    let spec: TableSpec

    var label: String { spec.name.description }

    /// How one attempt at the table loads it.
    enum Load: Equatable {
        /// Everything, replacing what the target holds; `label` says why (shown as the mode chosen).
        case full(label: String)
        /// What is new since the target's watermark; `label` overrides the mode shown (`initial load`).
        case incremental(label: String?)
    }

    /// The loads to try: the first, then for smart_sync with `fallback_to_full` a full load when the first fails
    /// in a way a full load can mend (`fallsBack(after:)`).
    func loads(targetExists: Bool, targetRows: Int64) throws(FerryError) -> (first: Load, fallback: Load?) {
        switch spec.syncMode {
        case .fullReplace:
            return (.full(label: "full"), nil)
        case .incremental:
            return (.incremental(label: targetExists ? nil : "initial load"), nil)
        case .smartSync:
            if targetRows == 0 { return (.full(label: "full (target empty)"), nil) }
            return (.incremental(label: nil), spec.fallbackToFull ? .full(label: "full (fallback)") : nil)
        case .cdc:
            throw FerryError(
                .config, "sync_mode cdc tables run through the CDC pipeline, not one at a time", table: label)
        }
    }

    /// Whether a failed first load falls back to the full one: not for transient errors (the retry handles those)
    /// nor for a replace the user did not confirm.
    func fallsBack(after error: FerryError) -> Bool {
        spec.fallbackToFull && !error.isTransient && error.code != .notConfirmed
    }

    /// The label of a fallback load, saying what it fell back from.
    func fallbackLabel(after error: FerryError) -> String { "full (fallback: \(error.message))" }

    /// The target column whose maximum is `load`'s watermark, or `nil` when it needs none (a full load, or no
    /// target yet). Throws when the target lacks the column.
    func watermarkColumn(for load: Load, target: TableSchema?) throws(FerryError) -> Column? {
        guard case .incremental = load, let col = spec.incrementalColumn, let target else { return nil }
        guard let column = target.column(named: col) else {
            throw FerryError(
                .schema,
                "incremental_column \(col) does not exist in the target table \(spec.targetName); add it there, "
                    + "or run once with sync_mode full_replace to recreate the table",
                table: label)
        }
        return column
    }

    /// What `load` reads and how it writes: the filter from `watermark`, the write mode, the mode shown.
    func write(
        _ load: Load, schema: TableSchema, watermark: ScalarValue?
    ) throws(FerryError) -> (filter: RowFilter?, mode: WriteMode, label: String) {
        switch load {
        case .full(let label):
            return (nil, fullMode(), label)
        case .incremental(let label):
            let inc = try incremental(schema: schema, watermark: watermark)
            return (inc.filter, inc.mode, label ?? inc.label)
        }
    }

    /// The whole plan of one load, once the source counted the rows it will read.
    func plan(
        _ load: Load, schema: TableSchema, watermark: ScalarValue?, sourceRows: Int64, targetRows: Int64,
        describeRead: (RowFilter?, Int?) -> String, describeWrite: (TableSchema, WriteMode) -> [String]
    ) throws(FerryError) -> TablePlan {
        let w = try write(load, schema: schema, watermark: watermark)
        return TablePlan(
            table: label, target: spec.targetName.description, syncMode: spec.syncMode, modeChosen: w.label,
            writeMode: w.mode, filter: w.filter, watermark: watermark,
            expectedRows: spec.rowLimit.map { min(sourceRows, Int64($0)) } ?? sourceRows, targetRows: targetRows,
            readStatement: describeRead(w.filter, spec.rowLimit), writeStatements: describeWrite(schema, w.mode))
    }

    /// The source schema, with the configured primary key override applied and checked.
    func effectiveSchema(_ source: TableSchema) throws(FerryError) -> TableSchema {
        var schema = source
        if let pk = spec.primaryKey {
            for c in pk where schema.column(named: c) == nil {
                throw FerryError(
                    .schema, "primary_key column \(c) does not exist in the source table (columns: \(names(schema)))",
                    table: label)
            }
            schema.primaryKey = pk
            for i in schema.columns.indices where pk.contains(schema.columns[i].name) {
                schema.columns[i].nullable = false
            }
        }
        if spec.syncMode != .fullReplace, let col = spec.incrementalColumn {
            guard let column = schema.column(named: col) else {
                throw FerryError(
                    .schema,
                    "incremental_column \(col) does not exist in the source table (columns: \(names(schema)))",
                    table: label)
            }
            try checkIncrementalType(column)
        }
        return schema
    }

    private func names(_ schema: TableSchema) -> String {
        schema.columns.map(\.name).joined(separator: ", ")
    }

    private func checkIncrementalType(_ column: Column) throws(FerryError) {
        guard let type = spec.incrementalType else { return }
        let ok: Bool
        switch type {
        case .identity:
            ok =
                [.int16, .int32, .int64].contains(column.type)
                || { if case .decimal(_, 0) = column.type { return true } else { return false } }()
        case .date: ok = column.type == .date || column.type == .timestamp || column.type == .timestampTZ
        case .datetime: ok = column.type == .timestamp || column.type == .timestampTZ || column.type == .date
        }
        if !ok {
            throw FerryError(
                .schema,
                "incremental_column \(column.name) is \(column.type), which does not suit incremental_type \(type.rawValue)",
                table: label)
        }
    }

    /// The full-load write.
    func fullMode() -> WriteMode { .replace(spec.strategy) }

    /// The incremental part of a plan: filter and write mode, given the target's watermark.
    func incremental(
        schema: TableSchema, watermark: ScalarValue?
    ) throws(FerryError) -> (
        filter: RowFilter?, mode: WriteMode, label: String
    ) {
        guard let col = spec.incrementalColumn, let type = spec.incrementalType else {
            throw FerryError(.config, "incremental needs incremental_column and incremental_type", table: label)
        }
        switch type {
        case .identity:
            let filter = watermark.map { RowFilter(column: col, comparison: .greaterThan, value: $0) }
            return (filter, .append, "incremental")
        case .date, .datetime:
            let key = schema.primaryKey
            if key.isEmpty {
                if spec.dateBufferDays > 0 {
                    throw FerryError(
                        .schema,
                        "date_buffer_days re-reads recent rows, which needs a primary key to upsert by; the table has none: "
                            + "set primary_key: in the config or set date_buffer_days: 0",
                        table: label)
                }
                let filter = watermark.map { RowFilter(column: col, comparison: .greaterThan, value: $0) }
                return (filter, .append, "incremental")
            }
            let filter = watermark.map {
                RowFilter(column: col, comparison: .greaterThanOrEqual, value: $0.minus(days: spec.dateBufferDays))
            }
            return (
                filter, .upsert(key: key),
                spec.dateBufferDays > 0
                    ? "incremental (buffer \(spec.dateBufferDays)d, upsert)" : "incremental (upsert)"
            )
        }
    }
}
