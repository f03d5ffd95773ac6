import FerryConfig
import FerryCore
import FerryState
import Foundation

/// The cdc part of `ferry status`: the slot's state, position, lag and the WAL it keeps on the source.
enum SlotStatus {
    /// The section's lines; a slot that cannot be read is a line saying why, not an error.
    static func render(_ pg: PostgresDatabase, settings: Settings, pipeline record: CDCPipelineRecord?) -> String {
        let cdc = pg.cdc
        var lines = ["", "cdc slot \(cdc.slotName) (publication \(cdc.publicationName)):"]
        do throws(FerryError) {
            guard let slot = try Wiring.changeSource(pg, settings: settings).slotState() else {
                lines.append(
                    "  the slot does not exist on the source"
                        + (record == nil
                            ? " yet; ferry run creates it" : "; resynchronise with ferry cleanup then ferry run"))
                return lines.joined(separator: "\n")
            }
            let confirmed = slot.confirmedFlush
            let lagBytes = confirmed.map { Int64(bitPattern: slot.currentLSN.rawValue &- $0.rawValue) } ?? 0
            var lagSeconds = 0.0
            if lagBytes > 0, let updated = record?.updatedAt { lagSeconds = Date().timeIntervalSince(updated) }
            let state = slot.invalidated ? "INVALIDATED" : slot.walStatus ?? "-"
            lines.append("  state:            \(state), \(slot.active ? "active" : "idle")")
            let applied = record?.appliedThrough.map { "\($0)" } ?? "-"
            lines.append(
                "  applied through:  \(applied) (confirmed \(confirmed.map { "\($0)" } ?? "-"), "
                    + "server at \(slot.currentLSN))")
            lines.append("  last commit:      \(record?.lastCommitAt.map(ISO8601.string) ?? "-")")
            lines.append("  lag:              \(Format.bytes(lagBytes)), \(String(format: "%.0f", lagSeconds)) s")
            lines.append("  WAL retained:     \(Format.bytes(slot.retainedBytes))")
            if slot.retainedBytes > cdc.maxRetainedWAL {
                lines.append(
                    "  warning: the slot keeps \(Format.bytes(slot.retainedBytes)) of WAL on the source, more than "
                        + "cdc.max_retained_wal (\(Format.bytes(cdc.maxRetainedWAL))); run ferry run (or --follow) to "
                        + "consume it, or ferry cleanup if the pipeline is abandoned")
            }
        } catch {
            lines.append("  cannot read the slot: \(error.message)")
        }
        return lines.joined(separator: "\n")
    }
}
