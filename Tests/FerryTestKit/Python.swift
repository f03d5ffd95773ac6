import Foundation

/// Runs Python with pyarrow and deltalake, the independent readers that check what Ferry writes.
public enum Python {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `script` with `args` (available as `sys.argv[1:]`); returns stdout, throws with stderr on failure.
    @discardableResult
    public static func run(_ script: String, _ args: [String] = []) throws -> String {
        // Exit without interpreter teardown: delta-rs' runtime threads can abort the process while it tears down
        // under load ("terminate called without an active exception"), after the script already succeeded.
        let wrapped =
            script + "\nimport sys as _sys, os as _os\n_sys.stdout.flush()\n_sys.stderr.flush()\n_os._exit(0)\n"
        let out = try Subprocess.run(["python3", "-c", wrapped] + args)
        guard out.status == 0 else {
            throw Failure(description: "python failed (\(out.status)): \(out.stderr)")
        }
        return out.stdout
    }

    /// Runs `script` and decodes its stdout as JSON.
    public static func json(_ script: String, _ args: [String] = []) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(run(script, args).utf8), options: [.fragmentsAllowed])
    }
}
