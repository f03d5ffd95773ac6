import DeltaLake
public import FerryCore
import Foundation

/// Reads Delta tables under one directory (table `S.T` at `<root>/<T>`, as `DeltaDestination` writes them), so a
/// lake copy can be loaded back into a database: each table is read at one version, the latest when it is opened,
/// with deletion vectors applied, and its schema (PostgreSQL types kept in `ferry.type`, the key in
/// `ferry.primaryKey`) is the one Ferry wrote.
public struct DeltaSource: Source {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func openReader(_ table: TableName) throws(FerryError) -> any TableReader {
        try DeltaTableReader(path: root + "/" + table.name, label: table.description)
    }
}

/// One Delta table read at one version. Used by one thread at a time.
final class DeltaTableReader: TableReader {
    let files: DeltaTableFiles
    let snapshot: Snapshot
    let schema: TableSchema
    let label: String

    init(path: String, label: String) throws(FerryError) {
        let table = DeltaTable(store: LocalLogStore(root: path), engineInfo: "ferry")
        files = DeltaTableFiles(path: path, label: label, options: DeltaWriteOptions(), store: table.store)
        self.label = label
        let exists: Bool
        do throws(DeltaError) {
            exists = try table.exists()
        } catch {
            throw files.error(error)
        }
        guard exists else {
            throw FerryError(
                .schema, "there is no Delta table at \(path) (check the table name and the source's path)",
                table: label)
        }
        do throws(DeltaError) {
            snapshot = try table.snapshot()
            schema = DeltaTypeMapping.tableSchema(try snapshot.schema, configuration: snapshot.metadata.configuration)
        } catch {
            throw files.error(error)
        }
    }

    /// Data files in path order, so two reads of the same version see rows in the same order.
    private var orderedFiles: [AddFile] { snapshot.files.values.sorted { $0.path < $1.path } }

    func describeRead(filter: RowFilter?, limit: Int?) -> String {
        var text = "read Delta table \(files.path) at version \(snapshot.version) (\(snapshot.files.count) files)"
        if let filter { text += " where \(filter.column) \(filter.comparison.rawValue) \(filter.value)" }
        if let limit { text += ", at most \(limit) rows" }
        return text
    }

    func count(filter: RowFilter?) throws(FerryError) -> Int64 {
        guard let filter else {
            if let n = snapshot.numRecords { return n }
            var total: Int64 = 0
            for file in orderedFiles {
                let reader = try DataFileReader(file, table: files)
                total += Int64(reader.rowGroupStarts.last ?? 0) - Int64(reader.deleted.cardinality)
            }
            return total
        }
        let column = try filterColumn(filter)
        var total: Int64 = 0
        try scan(columns: [column]) { (batch: RecordBatch) throws(FerryError) -> Bool in
            total += Int64(try matches(batch, column: 0, filter: filter, type: column.type).filter { $0 }.count)
            return true
        }
        return total
    }

    func read(
        filter: RowFilter?, limit: Int?, batchSize: Int, consume: (RecordBatch) throws(FerryError) -> Void
    ) throws(FerryError) -> Int64 {
        var remaining = limit.map { Int64(max(0, $0)) }
        if remaining == 0 { return 0 }
        let filterIndex: Int? = try filter.map { f throws(FerryError) in
            _ = try filterColumn(f)
            return schema.index(of: f.column) ?? 0
        }
        var total: Int64 = 0
        let size = max(1, batchSize)
        try scan(columns: schema.columns) { (batch: RecordBatch) throws(FerryError) -> Bool in
            var rows = batch
            if let filter, let i = filterIndex {
                rows = batch.filtered(try matches(batch, column: i, filter: filter, type: schema.columns[i].type))
            }
            var start = 0
            while start < rows.rowCount {
                var count = min(size, rows.rowCount - start)
                if let left = remaining { count = Int(min(Int64(count), left)) }
                if count <= 0 { break }
                let slice =
                    start == 0 && count == rows.rowCount
                    ? rows
                    : RecordBatch(
                        columns: rows.columns, vectors: rows.vectors.map { $0.gathering([start..<start + count]) })
                try consume(slice)
                total += Int64(count)
                remaining = remaining.map { $0 - Int64(count) }
                start += count
            }
            return remaining != 0
        }
        return total
    }

    func close() {}

    // MARK: Scanning

    /// Every live row group of every file, as batches of `columns`, one row group at a time (memory: a row group),
    /// until `body` returns false.
    private func scan(
        columns: [Column], _ body: (RecordBatch) throws(FerryError) -> Bool
    ) throws(FerryError) {
        for file in orderedFiles {
            let reader = try DataFileReader(file, table: files)
            for group in 0..<reader.rowGroupCount {
                let batch = try reader.readLiveRowGroup(group, columns: columns)
                if batch.rowCount > 0, try !body(batch) { return }
            }
        }
    }

    private func filterColumn(_ filter: RowFilter) throws(FerryError) -> Column {
        guard let column = schema.column(named: filter.column) else {
            throw FerryError(
                .schema,
                "column \(filter.column) does not exist in the Delta table \(files.path) "
                    + "(check incremental_column in the config)",
                table: label)
        }
        return column
    }

    /// Which rows of `batch`'s column `column` pass `filter` (NULL never does); a value the bound cannot be
    /// compared with is an error, never a row silently left out.
    func matches(_ batch: RecordBatch, column: Int, filter: RowFilter, type: ColumnType) throws(FerryError) -> [Bool] {
        let vector = batch.vectors[column]
        var keep = [Bool](repeating: false, count: batch.rowCount)
        for row in 0..<batch.rowCount {
            guard let value = ScalarValue(vector: vector, row: row, type: type) else { continue }
            guard let order = value.compare(to: filter.value) else {
                throw FerryError(
                    .schema,
                    "column \(filter.column) of the Delta table \(files.path) is \(type), which the watermark "
                        + "\(filter.value) cannot be compared with; check incremental_column and incremental_type",
                    table: label)
            }
            keep[row] = filter.comparison == .greaterThan ? order > 0 : order >= 0
        }
        return keep
    }
}
