import FerryCore
import FerryEngine

/// What `ferry run --dry-run` prints per table: the plan (mode, strategy, watermark, rows, statements).
enum DryRunReport {
    static func render(_ o: TableOutcome) -> String {
        guard let plan = o.plan else {
            return "\n[\(o.table)] cannot plan: \(o.error?.message ?? "unknown error")"
        }
        var lines = [
            "", "[\(plan.table)] -> \(plan.target)",
            "  sync_mode:  \(plan.syncMode.rawValue)", "  plan:       \(plan.modeChosen)",
            "  strategy:   \(plan.strategy)",
            "  watermark:  \(plan.watermark?.description ?? "none")",
            plan.syncMode == .cdc
                ? "  rows:       target has \(plan.targetRows)"
                : "  rows:       \(plan.expectedRows) to copy (target has \(plan.targetRows))",
            "  read:       \(plan.readStatement)",
            "  write:",
        ]
        lines += plan.writeStatements.map { "    \($0)" }
        return lines.joined(separator: "\n")
    }
}
