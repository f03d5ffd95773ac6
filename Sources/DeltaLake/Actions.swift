import Foundation

/// The `protocol` action: the minimum reader and writer versions (and, from 3/7, the named features) a client
/// must implement to touch the table.
public struct ProtocolAction: Sendable, Hashable, Codable {
    public var minReaderVersion: Int
    public var minWriterVersion: Int
    public var readerFeatures: [String]?
    public var writerFeatures: [String]?

    public init(
        minReaderVersion: Int, minWriterVersion: Int, readerFeatures: [String]? = nil, writerFeatures: [String]? = nil
    ) {
        self.minReaderVersion = minReaderVersion
        self.minWriterVersion = minWriterVersion
        self.readerFeatures = readerFeatures
        self.writerFeatures = writerFeatures
    }
}

/// The `metaData` action: table id, schema and partitioning.
public struct MetadataAction: Sendable, Hashable, Codable {
    public struct Format: Sendable, Hashable, Codable {
        public var provider: String
        public var options: [String: String]

        public init(provider: String = "parquet", options: [String: String] = [:]) {
            self.provider = provider
            self.options = options
        }
    }

    public var id: String
    public var name: String?
    public var description: String?
    public var format: Format
    public var schemaString: String
    public var partitionColumns: [String]
    public var configuration: [String: String]
    public var createdTime: Int64?

    public init(
        id: String = UUID().uuidString.lowercased(), name: String? = nil, description: String? = nil,
        format: Format = Format(), schemaString: String, partitionColumns: [String] = [],
        configuration: [String: String] = [:], createdTime: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.format = format
        self.schemaString = schemaString
        self.partitionColumns = partitionColumns
        self.configuration = configuration
        self.createdTime = createdTime
    }

    /// The parsed schema.
    public func schema() throws(DeltaError) -> StructType {
        try StructType(json: schemaString)
    }
}

/// The `add` action: a data file that is part of the table.
public struct AddFile: Sendable, Hashable, Codable {
    /// Relative (URI-encoded) path from the table root, or an absolute URI.
    public var path: String
    public var partitionValues: [String: String?]
    public var size: Int64
    public var modificationTime: Int64
    public var dataChange: Bool
    /// JSON-encoded `FileStats`.
    public var stats: String?
    public var tags: [String: String]?
    /// The rows of the file that are logically deleted, on tables with the `deletionVectors` feature.
    public var deletionVector: DeletionVectorDescriptor?

    public init(
        path: String, partitionValues: [String: String?] = [:], size: Int64, modificationTime: Int64,
        dataChange: Bool = true, stats: String? = nil, tags: [String: String]? = nil,
        deletionVector: DeletionVectorDescriptor? = nil
    ) {
        self.path = path
        self.partitionValues = partitionValues
        self.size = size
        self.modificationTime = modificationTime
        self.dataChange = dataChange
        self.stats = stats
        self.tags = tags
        self.deletionVector = deletionVector
    }

    /// The logical file: a data file with one deletion vector. Log replay reconciles actions by this key.
    public var logicalKey: LogicalFileKey { LogicalFileKey(path: path, deletionVector: deletionVector?.uniqueId) }

    /// Rows the file holds once its deletion vector is applied, when its statistics say how many it has.
    public var liveRecords: Int64? {
        parsedStats().map { $0.numRecords - (deletionVector?.cardinality ?? 0) }
    }

    /// The tombstone that removes this logical file (its deletion vector included) at `timestamp`.
    public func removal(at timestamp: Int64, dataChange: Bool = true) -> RemoveFile {
        RemoveFile(
            path: path, deletionTimestamp: timestamp, dataChange: dataChange, partitionValues: partitionValues,
            size: size, deletionVector: deletionVector)
    }

    public func parsedStats() -> FileStats? {
        guard let stats, let data = stats.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(FileStats.self, from: data)
    }
}

/// Where a file's deletion vector (the rows logically deleted from it) lives: inline in the log (`i`), in a
/// `deletion_vector_<uuid>.bin` file under the table (`u`), or at an absolute path (`p`).
public struct DeletionVectorDescriptor: Sendable, Hashable, Codable {
    public var storageType: String
    public var pathOrInlineDv: String
    /// Where the vector starts in its file (at its 4-byte size); absent for inline vectors.
    public var offset: Int?
    /// Size of the serialized vector, before any base85 encoding.
    public var sizeInBytes: Int
    /// Rows the vector deletes.
    public var cardinality: Int64

    public init(storageType: String, pathOrInlineDv: String, offset: Int?, sizeInBytes: Int, cardinality: Int64) {
        self.storageType = storageType
        self.pathOrInlineDv = pathOrInlineDv
        self.offset = offset
        self.sizeInBytes = sizeInBytes
        self.cardinality = cardinality
    }

    /// Identifies the vector among the versions of one file: log replay reconciles files by path and this id.
    public var uniqueId: String {
        offset.map { "\(storageType)\(pathOrInlineDv)@\($0)" } ?? "\(storageType)\(pathOrInlineDv)"
    }
}

/// The `remove` action: a tombstone for a file that is no longer part of the table (kept for VACUUM).
public struct RemoveFile: Sendable, Hashable, Codable {
    public var path: String
    public var deletionTimestamp: Int64?
    public var dataChange: Bool
    public var extendedFileMetadata: Bool?
    public var partitionValues: [String: String?]?
    public var size: Int64?
    /// The deletion vector of the logical file removed: a file whose vector changes is removed with its old
    /// vector and added again with the new one.
    public var deletionVector: DeletionVectorDescriptor?

    public init(
        path: String, deletionTimestamp: Int64?, dataChange: Bool = true, extendedFileMetadata: Bool? = true,
        partitionValues: [String: String?]? = nil, size: Int64? = nil,
        deletionVector: DeletionVectorDescriptor? = nil
    ) {
        self.path = path
        self.deletionTimestamp = deletionTimestamp
        self.dataChange = dataChange
        self.extendedFileMetadata = extendedFileMetadata
        self.partitionValues = partitionValues
        self.size = size
        self.deletionVector = deletionVector
    }

    public var logicalKey: LogicalFileKey { LogicalFileKey(path: path, deletionVector: deletionVector?.uniqueId) }
}

/// A logical file of a table: a data file and the unique id of its deletion vector (`nil` without one).
public struct LogicalFileKey: Sendable, Hashable {
    public var path: String
    public var deletionVector: String?

    public init(path: String, deletionVector: String?) {
        self.path = path
        self.deletionVector = deletionVector
    }
}

/// The `txn` action (SetTransaction): the last version an application committed, for exactly-once writes.
public struct SetTransaction: Sendable, Hashable, Codable {
    public var appId: String
    public var version: Int64
    public var lastUpdated: Int64?

    public init(appId: String, version: Int64, lastUpdated: Int64? = nil) {
        self.appId = appId
        self.version = version
        self.lastUpdated = lastUpdated
    }
}

/// One line of a commit file.
public enum Action: Sendable, Hashable {
    case `protocol`(ProtocolAction)
    case metadata(MetadataAction)
    case add(AddFile)
    case remove(RemoveFile)
    case txn(SetTransaction)
    /// Free-form provenance (operation, parameters, engine); never replayed.
    case commitInfo([String: JSONValue])
    /// Any other action (cdc, domainMetadata, ...), kept verbatim.
    case other(name: String, value: JSONValue)
}
