import FerryConfig
import FerryCore
import FerryState
import Foundation

/// The cdc part of `ferry status`: the slot's state, position, lag and the WAL it keeps on the source; in `--json`
/// it is each cdc table's `slot`.
struct SlotStatus: Encodable {
    var slot: String
    var publication: String
    /// Whether the slot exists on the source; absent when it could not be read (`error` says why).
    var exists: Bool?
    /// `reserved`, `extended`, `unreserved`, `lost`, or `INVALIDATED`.
    var state: String?
    var active: Bool?
    var appliedThrough: String?
    var confirmed: String?
    var serverAt: String?
    var lastCommitAt: Date?
    var lagBytes: Int64?
    var lagSeconds: Double?
    var walRetainedBytes: Int64?
    var maxRetainedWalBytes: Int64
    /// Whether the state store knows the pipeline (a missing slot is then one to resynchronise).
    var recorded: Bool
    var error: String?

    /// Asks the source about the slot; a failure is kept in `error`, never thrown, like a table `status` cannot read.
    static func read(_ pg: PostgresDatabase, settings: Settings, pipeline record: CDCPipelineRecord?) -> SlotStatus {
        let cdc = pg.cdc
        var s = SlotStatus(
            slot: cdc.slotName, publication: cdc.publicationName, maxRetainedWalBytes: cdc.maxRetainedWAL,
            recorded: record != nil)
        s.appliedThrough = record?.appliedThrough.map { "\($0)" }
        s.lastCommitAt = record?.lastCommitAt
        do throws(FerryError) {
            guard let slot = try Wiring.changeSource(pg, settings: settings).slotState() else {
                s.exists = false
                return s
            }
            s.exists = true
            let lagBytes = slot.confirmedFlush.map { Int64(bitPattern: slot.currentLSN.rawValue &- $0.rawValue) } ?? 0
            var lagSeconds = 0.0
            if lagBytes > 0, let updated = record?.updatedAt { lagSeconds = Date().timeIntervalSince(updated) }
            s.state = slot.invalidated ? "INVALIDATED" : slot.walStatus
            s.active = slot.active
            s.confirmed = slot.confirmedFlush.map { "\($0)" }
            s.serverAt = "\(slot.currentLSN)"
            s.lagBytes = lagBytes
            s.lagSeconds = lagSeconds
            s.walRetainedBytes = slot.retainedBytes
        } catch {
            s.error = error.message
        }
        return s
    }

    /// The section's lines in the text output.
    var text: String {
        var lines = ["", "cdc slot \(slot) (publication \(publication)):"]
        if let error {
            lines.append("  cannot read the slot: \(error)")
            return lines.joined(separator: "\n")
        }
        guard exists == true else {
            lines.append(
                "  the slot does not exist on the source"
                    + (recorded ? "; resynchronise with ferry cleanup then ferry run" : " yet; ferry run creates it"))
            return lines.joined(separator: "\n")
        }
        let retained = walRetainedBytes ?? 0
        lines.append("  state:            \(state ?? "-"), \(active == true ? "active" : "idle")")
        lines.append(
            "  applied through:  \(appliedThrough ?? "-") (confirmed \(confirmed ?? "-"), server at \(serverAt ?? "-"))"
        )
        lines.append("  last commit:      \(lastCommitAt.map(ISO8601.string) ?? "-")")
        lines.append(
            "  lag:              \(Format.bytes(lagBytes ?? 0)), \(String(format: "%.0f", lagSeconds ?? 0)) s")
        lines.append("  WAL retained:     \(Format.bytes(retained))")
        if retained > maxRetainedWalBytes {
            lines.append(
                "  warning: the slot keeps \(Format.bytes(retained)) of WAL on the source, more than "
                    + "cdc.max_retained_wal (\(Format.bytes(maxRetainedWalBytes))); run ferry run (or --follow) to "
                    + "consume it, or ferry cleanup if the pipeline is abandoned")
        }
        return lines.joined(separator: "\n")
    }
}
