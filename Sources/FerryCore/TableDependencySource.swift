/// A source that knows which of a run's tables reference which (PostgreSQL foreign keys), so the engine can start a
/// table only after the tables it references have finished: an incremental child's new rows then find the parent
/// rows they reference already in the target, whatever the config's order or the number of workers.
public protocol TableDependencySource: Source {
    /// For each of `tables` (the config's names), the others among `tables` that its foreign keys reference; a
    /// table referencing itself is left out, and a table without any may be missing from the result.
    func referencedTables(among tables: [TableName]) throws(FerryError) -> [TableName: [TableName]]
}
