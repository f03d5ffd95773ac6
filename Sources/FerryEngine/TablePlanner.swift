import FerryCore

/// Decides, for one table, what a run does: the mode, the filter and the write.
///
/// Incremental watermarks are read from the target's own data (`MAX(col)` there), so a watermark can never run
/// ahead of what the target committed.
struct TablePlanner {
    let spec: TableSpec

    var label: String { spec.name.description }

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
