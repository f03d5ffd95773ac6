/// Where a change set ends in the source's stream, which decides whether a target already holds it.
public enum ChangePosition: Sendable, Hashable, CustomStringConvertible {
    /// Whole transactions: the target then holds every transaction that committed before this LSN (the end of
    /// the last one), and stores it with the data.
    case through(LSN)
    /// The first part(s) of the transaction that commits at this LSN, too big for one batch. Applied unless the
    /// target already holds that transaction; nothing is stored. A replay after a crash applies the transaction
    /// again from its start, which leaves the same rows: each change sets a key's whole row or deletes it.
    case partOf(commit: LSN)

    /// Whether a target that stored `done` already holds these changes.
    public func isHeld(by done: LSN) -> Bool {
        switch self {
        case .through(let end): done >= end
        case .partOf(let commit): done > commit
        }
    }

    /// The preamble of every `ChangeWriter.apply`: whether a change set at this position still needs applying to a
    /// table whose stored position is `held` (`false`: it is already there, skip it), after checking that `schema`
    /// has the key updates and deletes are applied by.
    public func needsApplying(over held: LSN?, schema: TableSchema, table: String) throws(FerryError) -> Bool {
        if let held, isHeld(by: held) { return false }
        guard !schema.primaryKey.isEmpty else {
            throw FerryError(
                .schema,
                "change streams need a primary key to apply updates and deletes; give the source table one, or name "
                    + "it with primary_key: in the config (the source table then needs REPLICA IDENTITY FULL)",
                table: table)
        }
        return true
    }

    public var description: String {
        switch self {
        case .through(let end): "\(end)"
        case .partOf(let commit): "part of the transaction committed at \(commit)"
        }
    }

    /// The position to store with the data, `nil` for a part of a transaction.
    public var stored: LSN? {
        if case .through(let end) = self { return end }
        return nil
    }
}

/// A table that can take change sets from a change stream (CDC).
///
/// The position (the source commit LSN the changes reach) is stored atomically with the data: in the same
/// transaction for databases, in the same Delta commit for lakes. A change set the stored position already covers
/// is skipped, so a batch replayed after a crash is applied exactly once.
public protocol ChangeWriter: AnyObject {
    /// The position stored with the table's data for `pipeline`, or `nil` when nothing was applied yet.
    func appliedPosition(pipeline: String) throws(FerryError) -> LSN?

    /// Applies `changes` (truncate, then deletes, then upserts) and stores `position.stored`, all at once; returns
    /// `false` when the table already holds them (nothing is written).
    @discardableResult
    func apply(
        _ changes: ChangeSet, schema: TableSchema, at position: ChangePosition, pipeline: String
    ) throws(FerryError) -> Bool
}

extension ChangeWriter {
    /// Applies whole transactions that end at `position`.
    @discardableResult
    public func apply(
        _ changes: ChangeSet, schema: TableSchema, position: LSN, pipeline: String
    ) throws(FerryError) -> Bool {
        try apply(changes, schema: schema, at: .through(position), pipeline: pipeline)
    }
}
