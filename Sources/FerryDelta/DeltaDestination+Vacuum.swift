import DeltaLake
public import FerryCore
public import Foundation

extension DeltaDestination {
    /// What ``vacuum(_:retention:dryRun:)`` did to one table.
    public struct VacuumResult: Sendable {
        /// The table's directory.
        public var path: String
        /// Whether a Delta table exists there; when not, nothing was looked at or deleted.
        public var exists: Bool
        /// The files deleted (in a dry run, those that would be), relative to ``path``, sorted.
        public var files: [String]
    }

    /// Deletes the data files of `table` that its Delta log no longer references, once their removal (and the
    /// file itself) is older than `retention`, so time travel inside that window keeps working; with `dryRun`,
    /// only lists them.
    ///
    /// Here rather than in the CLI so that where a table lives (``path(of:)``) and how its log is opened stay
    /// FerryDelta's business.
    /// - Throws: `io` (or what reading the log reports) naming the table when a file cannot be listed or deleted.
    public func vacuum(_ table: TableName, retention: TimeInterval, dryRun: Bool) throws(FerryError) -> VacuumResult {
        let path = path(of: table)
        let delta = DeltaTable(store: LocalLogStore(root: path), engineInfo: options.engineInfo)
        do throws(DeltaError) {
            guard try delta.exists() else { return VacuumResult(path: path, exists: false, files: []) }
            let vacuum = Vacuum(table: delta, retention: retention)
            return VacuumResult(path: path, exists: true, files: dryRun ? try vacuum.plan() : try vacuum.run())
        } catch {
            let code: FerryError.Code = error.code == .io ? .io : .database
            throw FerryError(code, error.message, table: table.description)
        }
    }
}
