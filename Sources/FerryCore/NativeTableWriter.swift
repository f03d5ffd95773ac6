/// A table writer that can create its table from a `NativeTableDefinition` of its own dialect (keeping it in sync
/// on later runs) and load `NativeRows` into it.
///
/// `commit`, `abort` and `close` are the `TableWriter`'s own; `beginNative` replaces `begin` and `writeNative`
/// replaces `write`.
public protocol NativeTableWriter: TableWriter {
    /// Whether this writer can recreate `definition` for its table (same dialect, and the same name: objects named
    /// after the table, such as sequences and indexes, keep the source's names).
    func acceptsNative(_ definition: NativeTableDefinition) -> Bool

    /// The statements `beginNative` and `commit` would run, for dry runs; schema changes that would lose data are
    /// listed as comments saying what `--force` would do.
    func describeNativeWrite(_ definition: NativeTableDefinition, mode: WriteMode, force: Bool) -> [String]

    /// Creates the target as `definition` says, or brings an existing one in line with it (schema sync), then
    /// starts the write. A change that would lose data throws a `.schema` error unless `force`.
    func beginNative(_ definition: NativeTableDefinition, mode: WriteMode, force: Bool) throws(FerryError)

    /// Writes rows read by a `NativeTableReader` inside the write `beginNative` started.
    func writeNative(_ rows: NativeRows) throws(FerryError)
}
