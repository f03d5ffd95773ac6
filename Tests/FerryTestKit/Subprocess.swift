import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs child processes with `posix_spawn` and a blocking `waitpid`.
///
/// Not Foundation's `Process`: on Linux it learns of a child's exit through a dispatch worker, and on a 2-core
/// machine every worker may be blocked by tests waiting on children, which deadlocks the suite. Output goes to
/// files, which also cannot fill up and block the child.
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A started child, for tests that kill it.
    public struct Child: Sendable {
        public let pid: pid_t

        /// Sends `signal` (SIGKILL by default).
        public func kill(_ signal: Int32 = SIGKILL) {
            _ = Glibc.kill(pid, signal)
        }

        /// Waits for the child to end; returns its exit status (128 + signal when killed).
        @discardableResult
        public func wait() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        }
    }

    static func environment(_ extra: [String: String], clean: Bool) -> [String] {
        var env =
            clean
            ? ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            : ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        return env.map { "\($0.key)=\($0.value)" }
    }

    /// Starts `argv` with stdin from /dev/null and stdout/stderr to the given files (or /dev/null).
    public static func start(
        _ argv: [String], environment extra: [String: String] = [:], clean: Bool = false, cwd: String? = nil,
        stdout: String = "/dev/null", stderr: String = "/dev/null"
    ) throws -> Child {
        var full = argv
        if let cwd { full = ["/usr/bin/env", "-C", cwd] + full }
        if !(full[0].hasPrefix("/")) { full = ["/usr/bin/env"] + full }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArgs: [UnsafeMutablePointer<CChar>?] = full.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment(extra, clean: clean).map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid = pid_t()
        let rc = posix_spawn(&pid, full[0], &actions, nil, cArgs, cEnv)
        guard rc == 0 else { throw Failure(description: "cannot run \(full.joined(separator: " ")): error \(rc)") }
        return Child(pid: pid)
    }

    /// Runs `argv` to completion and returns its exit status and output.
    public static func run(
        _ argv: [String], environment: [String: String] = [:], clean: Bool = false, cwd: String? = nil
    ) throws -> Output {
        let base = NSTemporaryDirectory() + "ferry-sub-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let child = try start(
            argv, environment: environment, clean: clean, cwd: cwd, stdout: base + ".out", stderr: base + ".err")
        let status = child.wait()
        return Output(
            status: status, stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}
