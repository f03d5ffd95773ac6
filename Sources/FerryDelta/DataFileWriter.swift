import DeltaLake
import FerryCore
import Foundation
import Parquet

/// Writes batches into Parquet data files of about `targetFileBytes`, and describes each as a Delta `add`.
final class DataFileWriter {
    let table: DeltaTableFiles
    let columns: [Column]
    /// Relative directory of the files under the table root (`col=value/...` for partitions), and the values.
    var relativeDirectory = ""
    var partitionValues: [String: String?] = [:]
    private var current: (writer: ParquetWriter, name: String)?
    /// Every file created so far, relative to the table root (not URI-encoded).
    private var paths: [String] = []

    init(table: DeltaTableFiles, columns: [Column]) {
        self.table = table
        self.columns = columns
    }

    var options: DeltaWriteOptions { table.options }
    var label: String { table.label }

    var codecName: String {
        switch options.codec {
        case .zstd: "zstd"
        case .snappy: "snappy"
        case .gzip: "gz"
        case .uncompressed: "uncompressed"
        }
    }

    /// Writes `batch`; returns the `add`s of the files it closed.
    func write(_ batch: RecordBatch) throws(FerryError) -> [AddFile] {
        guard batch.rowCount > 0 else { return [] }
        let target = try open()
        do throws(ParquetError) {
            try target.write(ParquetMapping.columns(batch))
        } catch {
            throw FerryError(.io, "cannot write a data file: \(error.message)", table: label)
        }
        if target.bytesWritten >= options.targetFileBytes { return [try closeCurrent()] }
        return []
    }

    /// Closes the open file; returns its `add`, if any rows were written.
    func finish() throws(FerryError) -> [AddFile] {
        guard current != nil else { return [] }
        return [try closeCurrent()]
    }

    /// Deletes the files written so far (they were never committed).
    func discard() {
        if let current { _ = try? current.writer.close() }
        current = nil
        table.remove(paths)
        paths = []
    }

    private func open() throws(FerryError) -> ParquetWriter {
        if let current { return current.writer }
        let name =
            "part-\(String(format: "%05d", paths.count))-\(UUID().uuidString.lowercased())-c000.\(codecName).parquet"
        let relative = relativeDirectory.isEmpty ? name : relativeDirectory + "/" + name
        let writer = try table.create(
            relative, nodes: ParquetMapping.nodes(columns),
            options: WriterOptions(codec: options.codec, rowGroupBytes: options.rowGroupBytes, createdBy: "ferry"))
        current = (writer, name)
        paths.append(relative)
        return writer
    }

    private func closeCurrent() throws(FerryError) -> AddFile {
        guard let (writer, name) = current else { throw FerryError(.integrity, "no open data file", table: label) }
        current = nil
        let file: WrittenFile
        do throws(ParquetError) {
            file = try writer.close()
        } catch {
            throw FerryError(.io, "cannot finish data file \(name): \(error.message)", table: label)
        }
        // The log holds URI-encoded paths: the directory's own %-escapes become %25.
        let path =
            relativeDirectory.isEmpty ? name : relativeDirectory.replacingOccurrences(of: "%", with: "%25") + "/" + name
        return AddFile(
            path: path, partitionValues: partitionValues, size: Int64(file.fileSize),
            modificationTime: Int64(Date().timeIntervalSince1970 * 1000), dataChange: true,
            stats: FileStatsBuilder.stats(file, columns: columns).json)
    }
}
