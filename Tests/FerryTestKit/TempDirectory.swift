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
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/ferry").path
    }

    public typealias Result = Subprocess.Output

    /// Runs `ferry args…` with `environment` added to (or, when `clean`, replacing) the current one.
    public static func run(
        _ args: [String], environment: [String: String] = [:], currentDirectory: String? = nil, clean: Bool = false
    ) throws -> Result {
        try Subprocess.run([path] + args, environment: environment, clean: clean, cwd: currentDirectory)
    }

    /// Starts `ferry args…` without waiting (for kill tests).
    public static func start(_ args: [String], environment: [String: String] = [:]) throws -> Subprocess.Child {
        try Subprocess.start([path] + args, environment: environment)
    }
}
