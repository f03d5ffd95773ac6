public import FerryCore
public import Foundation

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
    /// The table ran, but its run could not be recorded in the state store (the audit trail misses it).
    public var recordError: FerryError?

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
