import FerryConfig
import FerryCore
import FerryState
import Foundation

/// One table's line in `ferry status` (and its object in `--json`): what both sides hold and what last ran.
struct TableStatus: Encodable {
    struct Detail: Encodable {
        var label: String
        var value: String
    }

    var table: String
    var syncMode: String
    var sourceRows: Int64?
    var targetRows: Int64?
    var watermark: String?
    var lastRunAt: Date?
    var lastResult: String?
    var lastRowsWritten: Int64?
    var lastError: String?
    /// Why a count is missing: the source or target could not be read, or the target does not exist yet.
    var problem: String?
    /// What the target or the CDC position adds (Delta version and files, applied LSN, …).
    var details: [Detail] = []
    /// For cdc tables: the replication slot they share (the same for each).
    var slot: SlotStatus?

    /// Counts rows on both sides and reads the watermark; a failure becomes `problem`, never an error, so one
    /// unreadable table does not hide the others.
    static func probe(
        _ spec: TableSpec, source: any Source, destination: any Destination, lastRun: TableRunRecord?,
        position: CDCTableRecord?
    ) -> TableStatus {
        var s = TableStatus(table: spec.name.description, syncMode: spec.syncMode.rawValue)
        s.lastRunAt = lastRun?.finishedAt
        s.lastResult = lastRun?.status
        s.lastRowsWritten = lastRun?.rowsWritten
        s.lastError = lastRun?.error
        do throws(FerryError) {
            let reader = try source.openReader(spec.name)
            defer { reader.close() }
            s.sourceRows = try reader.count(filter: nil)
        } catch {
            s.problem = "source: \(error.message)"
        }
        do throws(FerryError) {
            let writer = try destination.openWriter(spec.targetName)
            defer { writer.close() }
            if let existing = try writer.existingSchema() {
                s.targetRows = try writer.rowCount()
                if let d = writer as? any TargetDetails {
                    s.details = try d.details().map { Detail(label: $0.label, value: $0.value) }
                }
                if let col = spec.incrementalColumn, let c = existing.column(named: col) {
                    s.watermark = try writer.maxValue(of: col, type: c.type)?.description
                }
            } else {
                s.problem = s.problem ?? "target table does not exist yet"
            }
        } catch {
            s.problem = (s.problem.map { $0 + "; " } ?? "") + "target: \(error.message)"
        }
        if spec.syncMode == .cdc, let position {
            s.watermark = position.position.description
            s.details.append(Detail(label: "applied LSN", value: position.position.description))
            s.details.append(
                Detail(label: "last source commit", value: position.lastCommitAt.map(ISO8601.string) ?? "-"))
            s.details.append(Detail(label: "changes applied", value: String(position.changesApplied)))
        }
        return s
    }

    /// The text table of `ferry status`.
    static func render(_ statuses: [TableStatus]) -> String {
        let rows = statuses.map { s in
            [
                s.table, s.syncMode, s.sourceRows.map(String.init) ?? "?", s.targetRows.map(String.init) ?? "-",
                s.sourceRows != nil && s.sourceRows == s.targetRows ? "yes" : "no", s.watermark ?? "-",
                s.lastRunAt.map(ISO8601.string) ?? "never", s.lastResult ?? "-",
            ]
        }
        return Format.table(
            ["table", "mode", "source rows", "target rows", "in sync", "watermark", "last run", "result"], rows)
    }

    /// The lines under the table: details, problems, the last error.
    var notes: [String] {
        var lines: [String] = []
        if !details.isEmpty {
            lines.append("  \(table): " + details.map { "\($0.label) \($0.value)" }.joined(separator: ", "))
        }
        if let problem { lines.append("  note: \(table): \(problem)") }
        if let lastError { lines.append("  last error: \(table): \(lastError)") }
        return lines
    }
}
