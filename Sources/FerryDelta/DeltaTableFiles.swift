import DeltaLake
import FerryCore
import Foundation
import Parquet

/// What the helpers of a Delta write need of their table, and nothing more: where its files live, how errors name
/// it, and the caches kept across the batches of a change stream.
///
/// Merges, data-file readers and writers, key indexes and deletion vectors take this instead of the writer, so they
/// cannot reach its state. Every data file and deletion vector is opened, created and deleted through here: a table
/// kept somewhere other than a local directory changes this type, not its callers.
struct DeltaTableFiles: Sendable {
    /// The table's root directory.
    let path: String
    /// The table as errors name it (`schema.table`).
    let label: String
    let options: DeltaWriteOptions
    /// The table's log, through which deletion vectors are read and written.
    let store: any LogStore
    /// Deletion vectors and key positions of live files, kept across the batches of a change stream.
    let deletionVectors = DeletionVectorCache()
    let keyIndex = KeyIndex<Int64>()
    /// Keys that are not a single integer column, as digests.
    let digestIndex = KeyIndex<KeyDigest>()

    init(path: String, label: String, options: DeltaWriteOptions, store: any LogStore) {
        self.path = path
        self.label = label
        self.options = options
        self.store = store
    }

    /// `e` as Ferry reports it: transient for lost commit races, the Delta table's path kept in the message.
    func error(_ e: DeltaError) -> FerryError {
        let code: FerryError.Code =
            switch e.code {
            case .concurrentModification, .versionAlreadyExists: .transient
            case .io: .io
            case .schema, .unsupportedFeature: .schema
            default: .database
            }
        return FerryError(code, e.description, table: label)
    }

    /// The local path of a file the log names (URI-encoded, relative to the root).
    func dataPath(_ relative: String) -> String {
        path + "/" + (relative.removingPercentEncoding ?? relative)
    }

    /// Creates the table's root directory (a new table has none yet).
    func createRoot() throws(FerryError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FerryError(.io, "cannot create \(path): \(error.localizedDescription)", table: label)
        }
    }

    /// Opens the data file `file` for reading.
    func open(_ file: AddFile) throws(FerryError) -> ParquetReader {
        do throws(ParquetError) {
            return try ParquetReader(path: dataPath(file.path))
        } catch {
            throw FerryError(.io, "cannot read data file \(file.path): \(error.message)", table: label)
        }
    }

    /// Creates a new data file at `relativePath` (not URI-encoded), its directory included.
    func create(
        _ relativePath: String, nodes: [SchemaNode], options: WriterOptions
    ) throws(FerryError) -> ParquetWriter {
        let full = path + "/" + relativePath
        let directory = (full as NSString).deletingLastPathComponent
        if directory != path {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do throws(ParquetError) {
            return try ParquetWriter(path: full, nodes: nodes, options: options)
        } catch {
            throw FerryError(.io, "cannot create data file \(full): \(error.message)", table: label)
        }
    }

    /// Deletes files written for a commit that did not happen, by path relative to the root (not URI-encoded);
    /// readers never saw them, since the log does not name them.
    func remove(_ relativePaths: [String]) {
        for relative in relativePaths { try? FileManager.default.removeItem(atPath: path + "/" + relative) }
    }

    /// Deletes the data files (and the deletion vector file) of a commit that did not happen.
    func deleteUncommitted(_ files: [AddFile], vectorFile: String? = nil) {
        remove(files.map { $0.path.removingPercentEncoding ?? $0.path } + (vectorFile.map { [$0] } ?? []))
    }

    /// A writer of new data files of `columns`, one per partition of `partitionBy`.
    func makeFiles(columns: [Column], partitionBy: [String]) -> PartitionedFiles {
        PartitionedFiles(table: self, columns: columns, partitionBy: partitionBy)
    }

    /// The rows `file`'s deletion vector removes (empty when it has none), read once per logical file while the
    /// cache holds it.
    func deletedRows(of file: AddFile) throws(FerryError) -> DeletionVector {
        guard let descriptor = file.deletionVector else { return DeletionVector() }
        if let cached = deletionVectors.vector(of: file.path, id: descriptor.uniqueId) { return cached }
        let vector: DeletionVector
        do throws(DeltaError) {
            vector = try DeletionVectorStorage.read(descriptor, from: store)
        } catch {
            throw FerryError(.io, "cannot read the deletion vector of \(file.path): \(error.message)", table: label)
        }
        guard vector.cardinality == descriptor.cardinality else {
            throw FerryError(
                .integrity,
                "the deletion vector of \(file.path) holds \(vector.cardinality) rows, the log says "
                    + "\(descriptor.cardinality); the table is damaged", table: label)
        }
        deletionVectors.remember(vector, id: descriptor.uniqueId, path: file.path)
        return vector
    }

    /// Writes `vectors` into one new deletion vector file; returns their descriptors, in order.
    func write(_ vectors: [DeletionVector]) throws(FerryError) -> [DeletionVectorDescriptor] {
        do throws(DeltaError) {
            return try DeletionVectorStorage.write(vectors, to: store)
        } catch {
            throw self.error(error)
        }
    }

    /// Forgets cached vectors and keys of files that are no longer live.
    func retain(paths: Set<String>) {
        deletionVectors.retain(paths: paths)
        keyIndex.retain(paths: paths)
        digestIndex.retain(paths: paths)
    }
}
