import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway PostgreSQL cluster shared by the whole test process.
///
/// Started lazily on first use (initdb in a temp dir, a free TCP port on 127.0.0.1, trust authentication,
/// `wal_level=logical`, `fsync=off`), stopped and deleted at process exit. Each test creates its own database with
/// `createDatabase()`, so tests can run in parallel without seeing each other's tables.
public final class PostgresCluster: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let host = "127.0.0.1"
    public let port: Int
    /// The cluster's superuser; no password (trust authentication).
    public let superuser = "ferry_admin"

    let binDir: String
    let root: String
    let dataDir: String
    let runAs: [String]
    private let lock = NSLock()
    private var databaseCounter = 0

    private static let instance = Result { try PostgresCluster.start(walLevel: "logical", shared: true) }
    private static let bulkInstance = Result { try PostgresCluster.start(walLevel: "replica", shared: true) }
    /// The shared clusters started so far, stopped at exit (set at startup, under `instance`'s and
    /// `bulkInstance`'s one-time initialisation).
    nonisolated(unsafe) private static var running: [PostgresCluster] = []
    private static let runningLock = NSLock()

    /// The process-wide cluster, started on first call (thread-safe; later calls return the same cluster or the
    /// same startup error).
    public static func shared() throws -> PostgresCluster {
        try instance.get()
    }

    /// A second process-wide cluster (`wal_level=replica`) for tests that move a lot of rows and need no change
    /// stream: their WAL then never reaches the shared cluster's replication slots, which decode every database's
    /// WAL, so the change-stream tests' waits do not depend on how much the bulk tests wrote.
    public static func bulk() throws -> PostgresCluster {
        try bulkInstance.get()
    }

    /// A cluster of its own with `wal_level` set to `walLevel`, for the few tests that need a server set up unlike
    /// the shared one (a server without logical decoding). The caller stops it.
    public static func standalone(walLevel: String) throws -> PostgresCluster {
        try start(walLevel: walLevel, shared: false)
    }

    private init(binDir: String, root: String, port: Int, runAs: [String]) {
        self.binDir = binDir
        self.root = root
        self.dataDir = root + "/data"
        self.port = port
        self.runAs = runAs
    }

    // MARK: Public API

    /// Creates a fresh, empty database (a unique name unless `name` is given) and returns its name.
    public func createDatabase(_ name: String? = nil) throws -> String {
        let db: String = lock.withLock {
            databaseCounter += 1
            return name ?? "ferry_test_\(getpid())_\(databaseCounter)"
        }
        let quoted = "\"" + db.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        // CREATE DATABASE copies template1; one at a time keeps it free of concurrent copies.
        try lock.withLock { _ = try psql("CREATE DATABASE \(quoted)", database: "postgres") }
        return db
    }

    /// Runs `sql` (any number of statements) with psql in `database`; returns stdout (unaligned, tuples only, one
    /// row per line, `|` between columns) and throws with psql's stderr on failure.
    @discardableResult
    public func psql(_ sql: String, database: String) throws -> String {
        let file = Self.scratchDirectory + "ferry-psql-\(UUID().uuidString).sql"
        try sql.write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try Self.run(
            Self.binary("psql", in: binDir),
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port), "-U", superuser,
                "-d", database, "-f", file,
            ])
        guard result.status == 0 else {
            throw Failure(description: "psql failed (\(result.status)) in \(database): \(result.stderr)")
        }
        return result.stdout
    }

    /// Runs `pg_dump` on `database` with `arguments` (e.g. `--schema-only`); returns the dump, throwing with
    /// pg_dump's stderr on failure.
    public func pgDump(_ database: String, _ arguments: [String]) throws -> String {
        let result = try Self.run(
            Self.binary("pg_dump", in: binDir),
            ["-h", host, "-p", String(port), "-U", superuser, "-d", database] + arguments)
        guard result.status == 0 else {
            throw Failure(description: "pg_dump failed (\(result.status)) in \(database): \(result.stderr)")
        }
        return result.stdout
    }

    // MARK: Startup and shutdown

    private static func start(walLevel: String, shared: Bool) throws -> PostgresCluster {
        let binDir = try findBinDir()
        let root = scratchDirectory + "ferry-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var runAs: [String] = []
        if geteuid() == 0 {
            // initdb and postgres refuse to run as root.
            if try run("/usr/bin/env", ["id", "-u", "postgres"]).status != 0 {
                let made = try run("/usr/bin/env", ["useradd", "-r", "postgres"])
                guard made.status == 0 else { throw Failure(description: "useradd postgres failed: \(made.stderr)") }
            }
            let chown = try run("/usr/bin/env", ["chown", "-R", "postgres", root])
            guard chown.status == 0 else { throw Failure(description: "chown \(root) failed: \(chown.stderr)") }
            runAs = ["/usr/bin/env", "runuser", "-u", "postgres", "--"]
        }
        let initdb = try run(
            binary("initdb", in: binDir),
            ["-D", root + "/data", "-A", "trust", "-U", "ferry_admin", "-E", "UTF8", "--locale=C", "--no-sync"],
            runAs: runAs, cwd: root)
        guard initdb.status == 0 else {
            throw Failure(description: "initdb failed (\(initdb.status)): \(initdb.stderr)\(initdb.stdout)")
        }
        var lastError = ""
        for _ in 0..<3 {
            let port = try freePort()
            // Change-stream tests run in parallel, each holding its own slot and walsender for a while.
            let options =
                "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories=\(root) -c wal_level=\(walLevel) "
                + "-c max_wal_senders=40 -c max_replication_slots=40 -c fsync=off -c synchronous_commit=off "
                + "-c full_page_writes=off"
            let started = try run(
                binary("pg_ctl", in: binDir),
                ["-D", root + "/data", "-l", root + "/server.log", "-w", "-t", "60", "-o", options, "start"],
                runAs: runAs, cwd: root)
            if started.status == 0 {
                let cluster = PostgresCluster(binDir: binDir, root: root, port: port, runAs: runAs)
                if shared {
                    let first = runningLock.withLock {
                        running.append(cluster)
                        return running.count == 1
                    }
                    if first {
                        atexit {
                            PostgresCluster.runningLock.withLock { PostgresCluster.running }.forEach { $0.stop() }
                        }
                    }
                }
                _ = try cluster.psql("SELECT 1", database: "postgres")
                return cluster
            }
            let log = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
            lastError = "pg_ctl start failed (\(started.status)): \(started.stderr) \(log.suffix(2000))"
        }
        try? FileManager.default.removeItem(atPath: root)
        throw Failure(description: lastError)
    }

    /// Stops the server at once and deletes its files.
    public func stop() {
        _ = try? Self.run(
            Self.binary("pg_ctl", in: binDir), ["-D", dataDir, "-m", "immediate", "-w", "stop"], runAs: runAs, cwd: root
        )
        try? FileManager.default.removeItem(atPath: root)
    }

    /// `/dev/shm/` when it is a writable directory (a RAM disk makes initdb and CREATE DATABASE several times
    /// faster), else the system temp directory.
    static let scratchDirectory: String = {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue,
            FileManager.default.isWritableFile(atPath: "/dev/shm")
        {
            return "/dev/shm/"
        }
        let tmp = NSTemporaryDirectory()
        return tmp.hasSuffix("/") ? tmp : tmp + "/"
    }()

    /// The newest `/usr/lib/postgresql/<version>/bin` holding initdb, else the directory of `initdb` on the PATH.
    private static func findBinDir() throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap { v -> (Double, String)? in Double(v).map { ($0, v) } }
            .sorted { $0.0 > $1.0 }
        for (_, v) in versions where FileManager.default.isExecutableFile(atPath: "\(base)/\(v)/bin/initdb") {
            return "\(base)/\(v)/bin"
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") {
            let resolved = URL(fileURLWithPath: "\(dir)/initdb").resolvingSymlinksInPath()
            return resolved.deletingLastPathComponent().path
        }
        throw Failure(
            description: "PostgreSQL server binaries (initdb, pg_ctl) not found under \(base)/*/bin or on the PATH; "
                + "install the postgresql package")
    }

    /// `name` from `binDir`, or from the PATH when the server's bin directory lacks it.
    private static func binary(_ name: String, in binDir: String) -> String {
        let candidate = "\(binDir)/\(name)"
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : name
    }

    private static func freePort() throws -> Int {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw Failure(description: "bind() failed: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Runs a command to completion (through `Subprocess`: `posix_spawn`, a blocking `waitpid`, output in files, so
    /// the server started by pg_ctl cannot hold our pipes open), as `runAs` when given.
    private static func run(
        _ executable: String, _ args: [String], runAs: [String] = [], cwd: String? = nil
    ) throws -> Subprocess.Output {
        let argv = runAs + (executable.hasPrefix("/") ? [executable] : ["/usr/bin/env", executable]) + args
        // The child must start in a directory it can read (initdb fails otherwise when run as postgres).
        return try Subprocess.run(argv, cwd: cwd)
    }
}
