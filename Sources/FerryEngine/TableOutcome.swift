public import FerryCore
public import Foundation

/// What a run will do (or did) to one table, decided before any row moves.
public struct TablePlan: Sendable, Hashable {
    public var table: String
    public var target: String
    public var syncMode: SyncMode
    /// `full`, `incremental`, `upsert`, `full (target empty)`, ...
    public var modeChosen: String
    public var writeMode: WriteMode
    public var filter: RowFilter?
    public var watermark: ScalarValue?
    public var expectedRows: Int64
    public var targetRows: Int64
    public var readStatement: String
    public var writeStatements: [String]

    public var strategy: String {
        switch writeMode {
        case .replace(let s): s.rawValue
        case .append: "append"
        case .upsert(let key): "upsert(\(key.joined(separator: ",")))"
        }
    }
}

/// The result of one table in a run.
public struct TableOutcome: Sendable {
    public enum Status: String, Sendable {
        case succeeded
        case failed
        case planned
    }

    public var table: String
    public var syncMode: SyncMode
    public var status: Status
    public var plan: TablePlan?
    public var rowsRead: Int64 = 0
    public var rowsWritten: Int64 = 0
    public var bytes: Int64 = 0
    public var watermarkBefore: String?
    public var watermarkAfter: String?
    public var error: FerryError?
    public var attempts: Int = 1
    public var startedAt: Date
    public var finishedAt: Date

    public init(
        table: String, syncMode: SyncMode, status: Status, plan: TablePlan? = nil, rowsRead: Int64 = 0,
        rowsWritten: Int64 = 0, bytes: Int64 = 0, watermarkBefore: String? = nil, watermarkAfter: String? = nil,
        error: FerryError? = nil, attempts: Int = 1, startedAt: Date, finishedAt: Date
    ) {
        self.table = table
        self.syncMode = syncMode
        self.status = status
        self.plan = plan
        self.rowsRead = rowsRead
        self.rowsWritten = rowsWritten
        self.bytes = bytes
        self.watermarkBefore = watermarkBefore
        self.watermarkAfter = watermarkAfter
        self.error = error
        self.attempts = attempts
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    public var modeChosen: String { plan?.modeChosen ?? "-" }
    public var strategy: String { plan?.strategy ?? "-" }
    public var duration: Double { finishedAt.timeIntervalSince(startedAt) }
}

/// Receives progress while tables run; called from worker threads.
public protocol ProgressObserver: Sendable {
    func started(table: String, plan: TablePlan)
    func progress(table: String, rows: Int64, bytes: Int64)
    func finished(_ outcome: TableOutcome)
}

/// Decides whether a destructive replace of a non-empty target may go ahead.
public protocol ReplaceConfirmation: Sendable {
    /// `true` to go ahead. Called at most once per table, possibly from several threads.
    func confirmReplace(table: String, targetRows: Int64) -> Bool
}
