public import FerryCore
import Foundation

/// What a CDC run would do, found without changing anything (`ferry run --dry-run`): the checks a run makes
/// first (server settings, privileges, replica identity), the slot, and per table whether it is loaded from a
/// snapshot or streamed from the position its target holds.
public struct CDCPlanner: Sendable {
    public var source: any ChangeSource
    public var destination: any Destination
    public var settings: CDCSettings

    public init(source: any ChangeSource, destination: any Destination, settings: CDCSettings) {
        self.source = source
        self.destination = destination
        self.settings = settings
    }

    /// One planned outcome per table; a problem a run would stop at is every table's error.
    public func plan(tables: [TableSpec]) -> [TableOutcome] {
        let now = Date()
        do throws(FerryError) {
            try source.checkReadiness(tables: tables.map(\.name))
            let slot = try source.slotState()
            return try tables.map { spec throws(FerryError) in
                var outcome = TableOutcome(
                    table: spec.name.description, syncMode: .cdc, status: .planned, startedAt: now, finishedAt: now)
                outcome.plan = try plan(spec, slot: slot)
                return outcome
            }
        } catch {
            return tables.map { spec in
                TableOutcome(
                    table: spec.name.description, syncMode: .cdc, status: .failed, error: error, startedAt: now,
                    finishedAt: now)
            }
        }
    }

    private func plan(_ spec: TableSpec, slot: SlotState?) throws(FerryError) -> TablePlan {
        let schema = try source.describe(spec.name)
        let key = spec.primaryKey ?? schema.primaryKey
        let writer = try destination.openWriter(spec.targetName)
        defer { writer.close() }
        let position = try (writer as? any ChangeWriter)?.appliedPosition(pipeline: settings.slotName)
        let targetRows = try writer.rowCount()
        let slotText: String
        if let slot {
            let confirmed = slot.confirmedFlush.map { "confirmed at \($0)" } ?? "not confirmed yet"
            let kept = String(format: "%.1f MiB", Double(slot.retainedBytes) / 1_048_576)
            slotText = "slot \(settings.slotName) (\(confirmed), keeping \(kept) of WAL)"
        } else {
            slotText = "slot \(settings.slotName) and publication \(settings.publicationName) created if missing"
        }
        let mode =
            position.map { "stream from \($0)" }
            ?? "load from the slot's snapshot (the target is replaced), then stream"
        return TablePlan(
            table: spec.name.description, target: spec.targetName.description, syncMode: .cdc, modeChosen: mode,
            writeMode: .upsert(key: key), filter: nil, watermark: nil, expectedRows: 0, targetRows: targetRows,
            readStatement: "pgoutput changes of publication \(settings.publicationName) through \(slotText)",
            writeStatements: [
                "per micro-batch of whole transactions (\(settings.batchMaxRows) changes, "
                    + "\(settings.batchMaxSeconds) s or \(settings.batchMaxBytes >> 20) MiB): deletes and upserts by "
                    + "key (\(key.joined(separator: ", "))), stored with the batch's end LSN",
                "columns: " + schema.columns.map(\.name).joined(separator: ", "),
            ])
    }
}
