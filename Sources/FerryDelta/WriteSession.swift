import DeltaLake
import FerryCore

/// One write of a `DeltaTableWriter`, from `begin` to `commit`: the snapshot it was planned against and what it
/// has written so far.
///
/// `begin` makes it and `commit` takes it, so the commit is prepared against the very snapshot `begin` checked
/// the schema and partitioning with, whatever the writer reads in between.
struct WriteSession {
    /// The table as `begin` read it; `nil` when it did not exist yet.
    let snapshot: Snapshot?
    let schema: TableSchema
    let mode: WriteMode
    /// Partition columns of this write.
    let partitionBy: [String]
    /// Where the batches go.
    let output: PartitionedFiles
    /// Indexes in `schema` of the merge key columns (upserts only).
    let keyIndexes: [Int]
    /// Files written and closed so far, not yet in the log.
    private(set) var added: [AddFile] = []
    private(set) var rows: Int64 = 0
    /// The merge keys of the rows written (upserts only): the rows with these keys in the table are replaced.
    private(set) var incomingKeys = Set<[ScalarValue]>()

    init(
        snapshot: Snapshot?, schema: TableSchema, mode: WriteMode, partitionBy: [String], output: PartitionedFiles,
        keyIndexes: [Int]
    ) {
        self.snapshot = snapshot
        self.schema = schema
        self.mode = mode
        self.partitionBy = partitionBy
        self.output = output
        self.keyIndexes = keyIndexes
    }

    mutating func write(_ batch: RecordBatch) throws(FerryError) {
        if !keyIndexes.isEmpty {
            for r in 0..<batch.rowCount { incomingKeys.insert(MergeRewriter.key(of: batch, row: r, at: keyIndexes)) }
        }
        added += try output.write(batch)
        rows += Int64(batch.rowCount)
    }

    /// Closes the open files; their `add`s join ``added``.
    mutating func finish() throws(FerryError) {
        added += try output.finish()
    }

    /// Deletes every file this write created (none of them is in the log).
    func discard(in table: DeltaTableFiles) {
        output.discard()
        table.deleteUncommitted(added)
    }
}
