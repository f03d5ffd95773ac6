/// A table reader that can also hand over the table's own definition and its rows in the database's own format,
/// for copies into a database of the same kind (see `NativeTableDefinition`).
public protocol NativeTableReader: TableReader {
    /// The table's definition as read in the reader's snapshot; `nil` when the relation has none to copy (a view),
    /// which the portable path then reads.
    func nativeDefinition() throws(FerryError) -> NativeTableDefinition?

    /// The statement `readNative` will run, for dry runs.
    func describeNativeRead(filter: RowFilter?, limit: Int?) -> String

    /// Streams the rows matching `filter` (at most `limit`) to `consume` in chunks of whole rows of about
    /// `chunkBytes`; returns the rows read. Exact for every column type: nothing is decoded.
    func readNative(
        filter: RowFilter?, limit: Int?, chunkBytes: Int, consume: (NativeRows) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64
}
