import Foundation

/// Reads and writes deletion vectors where a `DeletionVectorDescriptor` says they live (PROTOCOL.md, "Deletion
/// Vectors"): inline in the log (`i`), in a `deletion_vector_<uuid>.bin` file under the table (`u`), or in a file at
/// an absolute path (`p`).
///
/// A deletion vector file is a format version byte (1), then for each vector: its size (`UInt32`, big-endian), its
/// serialized bytes (`DeletionVector.serialized()`), and their CRC-32 (big-endian). A descriptor's `offset` points
/// at the size, so the first vector of a file is at offset 1.
public enum DeletionVectorStorage {
    static let formatVersion: UInt8 = 1

    /// Writes `vectors` to one new file under the table root, in order, and returns their descriptors.
    ///
    /// Each call creates a file with a fresh random name; existing files are never overwritten. Writing a batch of
    /// vectors (one per data file touched by a commit) into one file keeps the number of small files down.
    ///
    /// - Returns: One `u` descriptor per vector, in order; empty, with no file written, when `vectors` is empty.
    /// - Throws: `DeltaError` `.io` when the file cannot be written.
    public static func write(
        _ vectors: [DeletionVector], to store: any LogStore
    ) throws(DeltaError) -> [DeletionVectorDescriptor] {
        guard !vectors.isEmpty else { return [] }
        let uuid = UUID()
        let encodedId = Z85.encode(withUnsafeBytes(of: uuid.uuid) { Array($0) })
        let path = fileName(uuid: uuid.uuidString.lowercased())
        var file: [UInt8] = [formatVersion]
        var descriptors: [DeletionVectorDescriptor] = []
        for vector in vectors {
            let bytes = vector.serialized()
            let offset = file.count
            // Readers (delta-kernel among them) hold offsets and sizes as 32-bit integers.
            guard offset + 8 + bytes.count <= Int(Int32.max) else {
                throw DeltaError(.io, "deletion vectors too large for one file (\(offset) bytes)", table: store.root)
            }
            file.append(bigEndian: UInt32(bytes.count))
            file.append(contentsOf: bytes)
            file.append(bigEndian: crc32(bytes))
            descriptors.append(
                DeletionVectorDescriptor(
                    storageType: "u", pathOrInlineDv: encodedId, offset: offset, sizeInBytes: bytes.count,
                    cardinality: Int64(vector.cardinality)))
        }
        // `LogStore.write` replaces files; a random UUID makes a clash all but impossible, but never risk it.
        guard try store.read(path) == nil else {
            throw DeltaError(.io, "deletion vector file \(path) already exists", table: store.root)
        }
        try store.write(path, Data(file))
        return descriptors
    }

    /// A descriptor holding `vector` itself, base-85 encoded, for vectors small enough to live in the log.
    public static func inline(_ vector: DeletionVector) -> DeletionVectorDescriptor {
        let bytes = vector.serialized()
        return DeletionVectorDescriptor(
            storageType: "i", pathOrInlineDv: Z85.encode(bytes), offset: nil, sizeInBytes: bytes.count,
            cardinality: Int64(vector.cardinality))
    }

    /// Reads the vector `descriptor` points at.
    ///
    /// Checks the file's format version, that the size in the file matches `sizeInBytes`, the CRC-32, and that the
    /// vector deletes `cardinality` rows.
    ///
    /// - Throws: `DeltaError` `.io` when the file is missing or unreadable, `.corruptLog` when its contents are
    ///   wrong (naming the file, the offset and what is wrong), `.unsupportedFeature` for an unknown storage type or
    ///   a non-local absolute path.
    public static func read(
        _ descriptor: DeletionVectorDescriptor, from store: any LogStore
    ) throws(DeltaError) -> DeletionVector {
        let vector: DeletionVector
        let location: String
        switch descriptor.storageType {
        case "i":
            location = "inline deletion vector"
            vector = try withContext(location, store) { () throws(DeltaError) in
                let bytes = try Z85.decode(descriptor.pathOrInlineDv)
                guard descriptor.sizeInBytes >= 0, descriptor.sizeInBytes <= bytes.count else {
                    throw DeltaError(
                        .corruptLog, "sizeInBytes \(descriptor.sizeInBytes) but \(bytes.count) bytes encoded")
                }
                return try DeletionVector(serialized: Array(bytes.prefix(descriptor.sizeInBytes)))
            }
        case "u":
            guard let path = descriptor.relativeFilePath else {
                throw DeltaError(
                    .corruptLog, "invalid deletion vector path \"\(descriptor.pathOrInlineDv)\"", table: store.root)
            }
            location = "deletion vector file \(path) at offset \(descriptor.offset ?? 1)"
            guard let data = try store.read(path) else {
                throw DeltaError(.io, "deletion vector file \(path) does not exist", table: store.root)
            }
            vector = try withContext(location, store) { () throws(DeltaError) in
                try vectorInFile([UInt8](data), descriptor)
            }
        case "p":
            guard let path = localPath(descriptor.pathOrInlineDv) else {
                throw DeltaError(
                    .unsupportedFeature, "cannot read deletion vector \(descriptor.pathOrInlineDv): not a local path",
                    table: store.root)
            }
            location = "deletion vector file \(path) at offset \(descriptor.offset ?? 1)"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DeltaError(.io, "cannot read deletion vector file \(path)", table: store.root)
            }
            vector = try withContext(location, store) { () throws(DeltaError) in
                try vectorInFile([UInt8](data), descriptor)
            }
        default:
            throw DeltaError(
                .unsupportedFeature, "unknown deletion vector storage type \"\(descriptor.storageType)\"",
                table: store.root)
        }
        guard vector.cardinality == descriptor.cardinality else {
            throw DeltaError(
                .corruptLog,
                "\(location): deletes \(vector.cardinality) rows, but the log says \(descriptor.cardinality)",
                table: store.root)
        }
        return vector
    }

    /// The vector at `descriptor.offset` of a deletion vector file's bytes.
    private static func vectorInFile(
        _ file: [UInt8], _ descriptor: DeletionVectorDescriptor
    ) throws(DeltaError) -> DeletionVector {
        guard let version = file.first else { throw DeltaError(.corruptLog, "the file is empty") }
        guard version == formatVersion else {
            throw DeltaError(.corruptLog, "unknown format version \(version)")
        }
        let offset = descriptor.offset ?? 1
        let size = descriptor.sizeInBytes
        guard offset >= 1, size >= 0, offset <= file.count - 8 - size else {
            throw DeltaError(
                .corruptLog, "\(size) bytes at offset \(offset) do not fit in the file of \(file.count) bytes")
        }
        let stored = Int(bigEndian: file, at: offset)
        guard stored == size else {
            throw DeltaError(.corruptLog, "the file says \(stored) bytes, the log says sizeInBytes \(size)")
        }
        let bytes = Array(file[offset + 4..<offset + 4 + size])
        let checksum = UInt32(Int(bigEndian: file, at: offset + 4 + size))
        let actual = crc32(bytes)
        guard checksum == actual else {
            throw DeltaError(.corruptLog, "CRC-32 mismatch: stored \(checksum), computed \(actual)")
        }
        return try DeletionVector(serialized: bytes)
    }

    /// Runs `body`, prefixing the message of any error with `location` and naming the table.
    private static func withContext<T>(
        _ location: String, _ store: any LogStore, _ body: () throws(DeltaError) -> T
    ) throws(DeltaError) -> T {
        do {
            return try body()
        } catch {
            throw DeltaError(error.code, "\(location): \(error.message)", table: store.root)
        }
    }

    /// The file-system path of a `p` descriptor: a `file:` URI or a plain absolute path.
    static func localPath(_ pathOrURI: String) -> String? {
        if pathOrURI.hasPrefix("/") { return pathOrURI }
        guard let url = URL(string: pathOrURI), url.isFileURL else { return nil }
        return url.path
    }

    static func fileName(uuid: String) -> String { "deletion_vector_\(uuid).bin" }

    /// CRC-32 as zlib computes it (IEEE polynomial, reflected), the checksum after each vector in a file.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ crc >> 8 }
        return ~crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ c >> 1 : c >> 1 }
        return c
    }
}

extension DeletionVectorDescriptor {
    /// The path of the deletion vector file under the table root, for `u` descriptors; `nil` for inline and
    /// absolute ones, or when the encoded UUID is invalid.
    ///
    /// `pathOrInlineDv` is an optional random prefix (a directory) and the Z85 encoding of the file's UUID, which
    /// is always 20 characters.
    public var relativeFilePath: String? {
        guard storageType == "u", pathOrInlineDv.utf8.count >= 20 else { return nil }
        let prefix = String(pathOrInlineDv.utf8.dropLast(20)) ?? ""
        guard let encoded = String(pathOrInlineDv.utf8.suffix(20)), let raw = try? Z85.decode(encoded) else {
            return nil
        }
        let hex = raw.map { byte in String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16) }
        let uuid = [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
        let name = DeletionVectorStorage.fileName(uuid: uuid)
        return prefix.isEmpty ? name : prefix + "/" + name
    }
}

extension Int {
    /// The big-endian `UInt32` at `offset` of `bytes`.
    fileprivate init(bigEndian bytes: [UInt8], at offset: Int) {
        self = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    }
}
