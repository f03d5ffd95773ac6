import Foundation

/// A fresh directory under the system temp dir, removed when the value is deinitialised.
public final class TempDirectory: @unchecked Sendable {
    public let path: String

    public init(_ prefix: String = "ferry-test") {
        let base = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs the built `ferry` executable, as a user would.
///
/// `swift test` does not build executables, so the binary is whatever `swift build --product ferry` (which
/// `scripts/test.sh` runs first) left. A binary older than any file under `Sources/` or `Package.swift` is refused
/// rather than tested: a CLI edit followed by `swift test` alone would otherwise test the old code.
public enum FerryBinary {
    /// The `ferry` binary next to the test bundle (`swift build` puts both in the same directory).
    public static var path: String {
        if let env = ProcessInfo.processInfo.environment["FERRY_BIN"] { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("ferry").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/ferry").path
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Why the binary cannot be tested (missing, or older than a source file), or nil when it is current.
    static let staleness: String? = {
        let binary = path
        let fm = FileManager.default
        guard let built = (try? fm.attributesOfItem(atPath: binary))?[.modificationDate] as? Date else {
            return "\(binary) does not exist: run `swift build --product ferry` (scripts/test.sh does)"
        }
        if ProcessInfo.processInfo.environment["FERRY_BIN"] != nil { return nil }
        var newest: (Date, String)?
        let sources = root.appendingPathComponent("Sources")
        var files = [root.appendingPathComponent("Package.swift")]
        if let walk = fm.enumerator(at: sources, includingPropertiesForKeys: [.contentModificationDateKey]) {
            for case let url as URL in walk { files.append(url) }
        }
        for url in files {
            guard let date = try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
            else { continue }
            if date > (newest?.0 ?? .distantPast) { newest = (date, url.path) }
        }
        if let (date, file) = newest, date > built {
            return "\(binary) is older than \(file): run `swift build --product ferry` before `swift test`"
        }
        return nil
    }()

    static func checked() throws -> String {
        if let staleness { throw Subprocess.Failure(description: staleness) }
        return path
    }

    public typealias Result = Subprocess.Output

    /// Runs `ferry args…` with `environment` added to (or, when `clean`, replacing) the current one.
    public static func run(
        _ args: [String], environment: [String: String] = [:], currentDirectory: String? = nil, clean: Bool = false
    ) throws -> Result {
        try Subprocess.run([checked()] + args, environment: environment, clean: clean, cwd: currentDirectory)
    }

    /// Starts `ferry args…` without waiting (for kill tests), its stderr to `stderr` (a log file to wait on).
    public static func start(
        _ args: [String], environment: [String: String] = [:], stderr: String = "/dev/null"
    ) throws -> Subprocess.Child {
        try Subprocess.start([checked()] + args, environment: environment, stderr: stderr)
    }
}
