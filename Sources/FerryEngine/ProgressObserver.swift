/// Receives progress while tables run; called from worker threads.
public protocol ProgressObserver: Sendable {
    func started(table: String, plan: TablePlan)
    func progress(table: String, rows: Int64, bytes: Int64)
    func finished(_ outcome: TableOutcome)
}
