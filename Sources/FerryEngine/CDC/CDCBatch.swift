import FerryCore
import Foundation

/// A micro-batch of whole transactions (or a part of one too big for a batch): each touched table's change set with
/// the shape to apply it with, and the position (end LSN of its last transaction) the targets hold once it is
/// applied.
struct CDCBatch {
    struct Table {
        var key: String
        var label: String
        var changes: ChangeSet
        var schema: TableSchema
        var count: Int64
    }
    var position: ChangePosition
    /// Source commit times (µs since 1970) of the batch's last and first transactions.
    var commitTime: Int64?
    var firstCommitTime: Int64?
    var tables: [Table]
    /// When the targets committed the batch (its changes became visible there), set by the applier.
    var appliedAt: Date?

    /// The end of the batch's last transaction; `nil` for a part of a transaction.
    var end: LSN? { position.stored }

    /// A source commit time as a date.
    static func date(micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
}
