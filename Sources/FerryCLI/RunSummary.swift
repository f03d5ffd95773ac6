import FerryCore
import FerryEngine

/// The table a finished run prints: one row per table, then how many succeeded.
enum RunSummary {
    static func render(_ outcomes: [TableOutcome], elapsed: Double) -> String {
        let rows = outcomes.map { o in
            [
                o.table, o.status.rawValue, o.modeChosen, o.strategy, String(o.rowsRead), String(o.rowsWritten),
                o.watermarkAfter ?? "-", Format.seconds(o.duration),
            ]
        }
        let ok = outcomes.filter { $0.status == .succeeded }.count
        return "\n"
            + Format.table(["table", "result", "mode", "strategy", "read", "written", "watermark", "time"], rows)
            + "\n\n\(ok) of \(outcomes.count) table(s) succeeded in \(Format.seconds(elapsed))"
    }
}
