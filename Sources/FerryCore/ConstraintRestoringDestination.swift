/// A destination that keeps constraints between tables (PostgreSQL foreign keys): a table's load sets them aside
/// (kept in the target, in the same transaction), and `restoreConstraints` adds them back and validates them once
/// every table of the run has committed, so the target is consistent when the run ends.
public protocol ConstraintRestoringDestination: Destination {
    /// Adds back what earlier loads set aside; one error per constraint the data violates (naming it), after
    /// which that constraint stays set aside for the next run to retry.
    func restoreConstraints() throws(FerryError) -> [FerryError]
}
