public import Foundation

/// One invocation of `ferry run` (or a later operation), as kept in the audit trail (`RunRecorder`).
public struct RunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var operation: String
    public var configPath: String
    public var configHash: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// `running`, `succeeded`, `failed` (some table failed) or `interrupted` (found running by a later run).
    public var status: String
    public var host: String
    public var user: String
    public var dryRun: Bool

    public init(
        id: String, operation: String, configPath: String, configHash: String, startedAt: Date,
        finishedAt: Date? = nil, status: String = "running", host: String, user: String, dryRun: Bool
    ) {
        self.id = id
        self.operation = operation
        self.configPath = configPath
        self.configHash = configHash
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.host = host
        self.user = user
        self.dryRun = dryRun
    }
}

/// One table's part of a run.
public struct TableRunRecord: Sendable, Hashable, Codable {
    public var runId: String
    public var table: String
    public var syncMode: String
    /// What the run actually did: `full`, `incremental`, `upsert`, `full (fallback)`.
    public var modeChosen: String
    public var strategy: String
    public var rowsRead: Int64
    public var rowsWritten: Int64
    public var bytes: Int64
    public var watermarkBefore: String?
    public var watermarkAfter: String?
    public var startedAt: Date
    public var finishedAt: Date
    public var status: String
    public var error: String?
    public var attempts: Int

    public init(
        runId: String, table: String, syncMode: String, modeChosen: String, strategy: String, rowsRead: Int64,
        rowsWritten: Int64, bytes: Int64, watermarkBefore: String?, watermarkAfter: String?, startedAt: Date,
        finishedAt: Date, status: String, error: String?, attempts: Int
    ) {
        self.runId = runId
        self.table = table
        self.syncMode = syncMode
        self.modeChosen = modeChosen
        self.strategy = strategy
        self.rowsRead = rowsRead
        self.rowsWritten = rowsWritten
        self.bytes = bytes
        self.watermarkBefore = watermarkBefore
        self.watermarkAfter = watermarkAfter
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.error = error
        self.attempts = attempts
    }

    public var durationSeconds: Double { finishedAt.timeIntervalSince(startedAt) }
}
