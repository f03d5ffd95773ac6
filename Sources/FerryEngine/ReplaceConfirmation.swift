/// Decides whether a destructive replace of a non-empty target may go ahead.
public protocol ReplaceConfirmation: Sendable {
    /// `true` to go ahead. Called at most once per table, possibly from several threads.
    func confirmReplace(table: String, targetRows: Int64) -> Bool
}
