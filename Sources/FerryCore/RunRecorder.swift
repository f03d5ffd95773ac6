public import Foundation

/// Where a pipeline's runs, table runs and CDC positions are kept: the port the engine and the CDC pipeline record
/// through for every kind of run, whatever the store (an embedded SQLite file today; DynamoDB or PostgreSQL for
/// pipelines shared between machines).
///
/// Every write happens after the target committed what it describes, so the store never runs ahead of the data.
/// Implementations must be safe to call from several threads (tables run in parallel, the CDC applier records from
/// its own thread).
public protocol RunRecorder: Sendable {
    /// Where the store is, for messages (a path, a table name).
    var location: String { get }

    /// Records the start of a run; runs another process left `running` are marked `interrupted`.
    func startRun(_ run: RunRecord) throws(FerryError)
    /// Records one table's part of a run, after its target committed (or after it failed).
    func record(_ tableRun: TableRunRecord) throws(FerryError)
    /// Records the end of a run: `succeeded`, or `failed` when any table failed.
    func finishRun(id: String, status: String, at date: Date) throws(FerryError)

    /// The CDC pipeline of replication slot `slot`, `nil` when it was never created (or was cleaned up).
    func cdcPipeline(slot: String) throws(FerryError) -> CDCPipelineRecord?
    /// Creates or replaces the pipeline's record; `appliedThrough` only after every target committed up to it.
    func saveCDCPipeline(_ pipeline: CDCPipelineRecord) throws(FerryError)
    /// Forgets a pipeline and its tables (after `ferry cleanup` dropped the slot).
    func deleteCDCPipeline(slot: String) throws(FerryError)
    /// Records each table's position after its target committed a batch (`changesApplied` adds up).
    func saveCDCTables(_ tables: [CDCTableRecord]) throws(FerryError)
    /// The positions of the pipeline's tables.
    func cdcTables(slot: String) throws(FerryError) -> [CDCTableRecord]
}
