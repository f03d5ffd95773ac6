public import Foundation

/// A CDC pipeline as the state store remembers it: one per replication slot.
///
/// `appliedThrough` is written after every target committed a batch and before the slot is told, so the slot's
/// confirmed position can never be ahead of it unless someone else moved or recreated the slot.
public struct CDCPipelineRecord: Sendable, Hashable {
    public enum Status: String, Sendable {
        /// The slot is being created and the tables loaded; a crash here restarts the initial load.
        case creating
        /// The initial load is done; changes stream from `appliedThrough`.
        case streaming
    }

    public var slotName: String
    public var publication: String
    public var status: Status
    public var appliedThrough: LSN?
    /// Source commit time of the last transaction applied.
    public var lastCommitAt: Date?
    /// The source cluster the positions belong to (`nil` in stores written before Ferry recorded it).
    public var systemId: String?
    public var updatedAt: Date

    public init(
        slotName: String, publication: String, status: Status, appliedThrough: LSN?, lastCommitAt: Date?,
        systemId: String? = nil, updatedAt: Date = Date()
    ) {
        self.slotName = slotName
        self.publication = publication
        self.status = status
        self.appliedThrough = appliedThrough
        self.lastCommitAt = lastCommitAt
        self.systemId = systemId
        self.updatedAt = updatedAt
    }
}

/// One table of a CDC pipeline: what the target holds.
public struct CDCTableRecord: Sendable, Hashable {
    public var slotName: String
    public var table: String
    public var position: LSN
    public var lastCommitAt: Date?
    public var changesApplied: Int64
    public var updatedAt: Date

    public init(
        slotName: String, table: String, position: LSN, lastCommitAt: Date?, changesApplied: Int64,
        updatedAt: Date = Date()
    ) {
        self.slotName = slotName
        self.table = table
        self.position = position
        self.lastCommitAt = lastCommitAt
        self.changesApplied = changesApplied
        self.updatedAt = updatedAt
    }
}
