import FerryCore
import Foundation

/// Reads tables in a slot's exported snapshot, so the initial load holds exactly the transactions committed before
/// the slot's consistent point and the stream brings every later one: no gap, no duplicate.
struct SnapshotSource: Source, @unchecked Sendable {
    // The snapshot is used by one table load at a time (its readers open their own connections).
    let snapshot: any SlotSnapshot
    let specs: [TableName: TableSpec]

    func openReader(_ table: TableName) throws(FerryError) -> any TableReader {
        let reader = try snapshot.openReader(table)
        guard let spec = specs[table], ExtraColumns.count(spec) > 0 else { return reader }
        return ExtendedReader(base: reader, spec: spec, position: snapshot.consistentPoint)
    }
}

/// A reader whose batches carry Ferry's own CDC columns after the table's (`_ferry_deleted` false, `_ferry_lsn` the
/// snapshot's position, `_ferry_synced_at` now).
final class ExtendedReader: TableReader {
    let base: any TableReader
    let spec: TableSpec
    let position: LSN
    let schema: TableSchema

    init(base: any TableReader, spec: TableSpec, position: LSN) {
        self.base = base
        self.spec = spec
        self.position = position
        self.schema = ExtraColumns.append(to: base.schema, spec: spec)
    }

    func count(filter: RowFilter?) throws(FerryError) -> Int64 { try base.count(filter: filter) }

    func describeRead(filter: RowFilter?, limit: Int?) -> String { base.describeRead(filter: filter, limit: limit) }

    func read(
        filter: RowFilter?, limit: Int?, batchSize: Int, consume: (RecordBatch) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64 {
        let extras = ExtraColumns.columns(spec)
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let lsn = Int64(bitPattern: position.rawValue)
        return try base.read(filter: filter, limit: limit, batchSize: batchSize) {
            (batch: RecordBatch) throws(FerryError) in
            var vectors = batch.vectors
            for column in extras {
                var v = ColumnVector(type: column.type, capacity: batch.rowCount)
                for _ in 0..<batch.rowCount {
                    switch column.name {
                    case ExtraColumns.deleted.name: v.append(false)
                    case ExtraColumns.lsn.name: v.append(lsn)
                    default: v.append(now)
                    }
                }
                vectors.append(v)
            }
            try consume(RecordBatch(columns: batch.columns + extras, vectors: vectors))
        }
    }

    func close() { base.close() }
}
