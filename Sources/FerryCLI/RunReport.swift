import FerryConfig
import FerryCore
import FerryEngine
import Foundation

/// `ferry run --json`: the run and one entry per table (its plan in a dry run); absent fields are unknown.
struct RunReport: Encodable {
    struct Plan: Encodable {
        var target: String
        var mode: String
        var strategy: String
        var watermark: String?
        var expectedRows: Int64
        var targetRows: Int64
        var read: String
        var write: [String]
    }

    struct Table: Encodable {
        var table: String
        var syncMode: String
        var status: String
        var mode: String
        var strategy: String
        var rowsRead: Int64
        var rowsWritten: Int64
        var bytes: Int64
        var watermarkBefore: String?
        var watermarkAfter: String?
        var startedAt: Date
        var finishedAt: Date
        var durationSeconds: Double
        var attempts: Int
        var error: String?
        var plan: Plan?
    }

    var runId: String
    var operation: String
    var dryRun: Bool
    var source: String
    var target: String
    var startedAt: Date
    var elapsedSeconds: Double
    var succeeded: Int
    var failed: Int
    var cdcAppliedThrough: String?
    var tables: [Table]

    init(
        runId: String, operation: String, dryRun: Bool, config: PipelineConfig, startedAt: Date,
        result: PipelineRun.Result
    ) {
        self.runId = runId
        self.operation = operation
        self.dryRun = dryRun
        source = Wiring.describe(config.source)
        target = Wiring.describe(config.target)
        self.startedAt = startedAt
        elapsedSeconds = Date().timeIntervalSince(startedAt)
        succeeded = result.outcomes.filter { $0.status == .succeeded }.count
        failed = result.failed.count
        cdcAppliedThrough = result.appliedThrough.map { "\($0)" }
        tables = result.outcomes.map(Self.table)
    }

    static func table(_ o: TableOutcome) -> Table {
        Table(
            table: o.table, syncMode: o.syncMode.rawValue, status: o.status.rawValue, mode: o.modeChosen,
            strategy: o.strategy, rowsRead: o.rowsRead, rowsWritten: o.rowsWritten, bytes: o.bytes,
            watermarkBefore: o.watermarkBefore, watermarkAfter: o.watermarkAfter, startedAt: o.startedAt,
            finishedAt: o.finishedAt, durationSeconds: o.duration, attempts: o.attempts, error: o.error?.message,
            plan: o.plan.map { p in
                Plan(
                    target: p.target, mode: p.modeChosen, strategy: p.strategy, watermark: p.watermark?.description,
                    expectedRows: p.expectedRows, targetRows: p.targetRows, read: p.readStatement,
                    write: p.writeStatements)
            })
    }
}
