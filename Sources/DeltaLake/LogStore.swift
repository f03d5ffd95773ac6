import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a table's files live. Commits go through `writeCommit`, which must never overwrite: that is what makes
/// concurrent writers safe (the loser gets `versionAlreadyExists` and retries on top of the winner).
public protocol LogStore: Sendable {
    /// The table root, for messages and for data-file paths.
    var root: String { get }
    /// The commit file of `version`, or `nil` if it does not exist.
    func readCommit(_ version: Int64) throws(DeltaError) -> Data?
    /// Creates the commit file of `version` atomically, only if absent.
    func writeCommit(_ version: Int64, _ data: Data) throws(DeltaError)
    /// Versions of the commit files present, ascending.
    func listCommitVersions() throws(DeltaError) -> [Int64]
    /// Reads any file under the table root (checkpoints, `_last_checkpoint`).
    func read(_ relativePath: String) throws(DeltaError) -> Data?
    /// Writes a file under the table root, replacing it atomically (for `_last_checkpoint` and data files).
    func write(_ relativePath: String, _ data: Data) throws(DeltaError)
    /// Names of the files directly inside `relativeDirectory` (such as `_delta_log`), in no particular order;
    /// empty when it does not exist. Checkpoints, unlike commits, can only be found by listing.
    func list(_ relativeDirectory: String) throws(DeltaError) -> [String]
    /// The local file-system path of a file under the table root, or `nil` when the store is not a local directory.
    ///
    /// Parquet checkpoints are read and written in place through it; other stores go through a temporary copy.
    func localPath(_ relativePath: String) -> String?
}

extension LogStore {
    public func localPath(_ relativePath: String) -> String? { nil }
}

/// A table on local disk.
///
/// A commit is written to a temporary file, fsynced, then `link(2)`ed to its final name, which fails if the name
/// exists: readers never see a partial commit, and two writers can never both win a version.
public struct LocalLogStore: LogStore {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    var logDir: String { root + "/_delta_log" }

    static func commitName(_ version: Int64) -> String {
        let s = String(version)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s + ".json"
    }

    public func readCommit(_ version: Int64) throws(DeltaError) -> Data? {
        try read("_delta_log/" + Self.commitName(version))
    }

    public func writeCommit(_ version: Int64, _ data: Data) throws(DeltaError) {
        try createDirectory(logDir)
        let final = logDir + "/" + Self.commitName(version)
        let temp = logDir + "/.tmp-\(version)-\(UUID().uuidString.prefix(8))"
        try writeSynced(temp, data)
        let rc = link(temp, final)
        let err = errno
        unlink(temp)
        if rc != 0 {
            if err == EEXIST {
                throw DeltaError(
                    .versionAlreadyExists, "version \(version) was committed by another writer", table: root)
            }
            throw DeltaError(.io, "cannot create commit \(final): \(String(cString: strerror(err)))", table: root)
        }
        syncDirectory(logDir)
    }

    public func listCommitVersions() throws(DeltaError) -> [Int64] {
        try list("_delta_log").compactMap { name -> Int64? in
            guard name.hasSuffix(".json"), name.count == 25 else { return nil }
            return Int64(name.prefix(20))
        }.sorted()
    }

    public func list(_ relativeDirectory: String) throws(DeltaError) -> [String] {
        let directory = root + "/" + relativeDirectory
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DeltaError(.io, "cannot list \(directory): \(error)", table: root)
        }
    }

    public func localPath(_ relativePath: String) -> String? {
        root + "/" + relativePath
    }

    public func read(_ relativePath: String) throws(DeltaError) -> Data? {
        let path = root + "/" + relativePath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeltaError(.io, "cannot read \(path)", table: root)
        }
        return data
    }

    public func write(_ relativePath: String, _ data: Data) throws(DeltaError) {
        let path = root + "/" + relativePath
        try createDirectory((path as NSString).deletingLastPathComponent)
        let temp = path + ".tmp-\(UUID().uuidString.prefix(8))"
        try writeSynced(temp, data)
        if rename(temp, path) != 0 {
            let err = errno
            unlink(temp)
            throw DeltaError(.io, "cannot write \(path): \(String(cString: strerror(err)))", table: root)
        }
    }

    func createDirectory(_ path: String) throws(DeltaError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DeltaError(.io, "cannot create directory \(path): \(error)", table: root)
        }
    }

    func writeSynced(_ path: String, _ data: Data) throws(DeltaError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw DeltaError(.io, "cannot create \(path): \(String(cString: strerror(errno)))", table: root)
        }
        defer { close(fd) }
        guard writeAll(fd, data), fsync(fd) == 0 else {
            throw DeltaError(.io, "cannot write \(path): \(String(cString: strerror(errno)))", table: root)
        }
    }

    func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// Writes all of `data` to `fd`, retrying short writes.
private func writeAll(_ fd: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { raw -> Bool in
        guard let base = raw.baseAddress else { return true }
        var offset = 0
        while offset < raw.count {
            let n = write(fd, base + offset, raw.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
