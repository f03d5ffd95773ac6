import Foundation

/// Runs Python with pyarrow and deltalake, the independent readers that check what Ferry writes.
public enum Python {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// The interpreter with the pinned readers: `FERRY_PYTHON` when set, else the checkout's `.venv` that
    /// `scripts/bootstrap.sh` creates from `scripts/requirements-test.txt` (never the system Python, whose packages
    /// Debian does not let pip manage and whose versions the tests were not written against).
    public static var interpreter: String {
        if let env = ProcessInfo.processInfo.environment["FERRY_PYTHON"], !env.isEmpty { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".venv/bin/python").path
    }

    /// Runs `script` with `args` (available as `sys.argv[1:]`); returns stdout, throws with stderr on failure.
    @discardableResult
    public static func run(_ script: String, _ args: [String] = []) throws -> String {
        // Exit without interpreter teardown: delta-rs' runtime threads can abort the process while it tears down
        // under load ("terminate called without an active exception"), after the script already succeeded.
        let wrapped =
            script + "\nimport sys as _sys, os as _os\n_sys.stdout.flush()\n_sys.stderr.flush()\n_os._exit(0)\n"
        let python = interpreter
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "no Python with the test readers at \(python): run scripts/bootstrap.sh")
        }
        let out = try Subprocess.run([python, "-c", wrapped] + args)
        guard out.status == 0 else {
            throw Failure(description: "python failed (\(out.status)): \(out.stderr)")
        }
        return out.stdout
    }

    /// Python defining `read_delta(path, columns=None)`: a Delta table as a pyarrow Table through delta-rs.
    ///
    /// delta-rs 1.6 refuses tables with deletion vectors in `to_pyarrow_table` and applies them in its DataFusion
    /// reader (`QueryBuilder`), so tables with the feature go through the latter; the others through the former,
    /// the reader most users call.
    public static let readDelta = """
        def read_delta(path, columns=None):
            import pyarrow as _pa
            from deltalake import DeltaTable as _DT, QueryBuilder as _QB
            dt = _DT(path)
            if "deletionVectors" in (dt.protocol().reader_features or []):
                cols = ", ".join('"%s"' % c for c in columns) if columns else "*"
                t = _pa.table(_QB().register("t", dt).execute("select %s from t" % cols).read_all())
                # DataFusion hands out view types; cast to the plain ones to_pyarrow_table gives.
                plain = {_pa.string_view(): _pa.string(), _pa.binary_view(): _pa.binary()}
                return t.cast(_pa.schema([f.with_type(plain.get(f.type, f.type)) for f in t.schema]))
            return dt.to_pyarrow_table(columns=columns)

        """

    /// Runs `script` and decodes its stdout as JSON.
    public static func json(_ script: String, _ args: [String] = []) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(run(script, args).utf8), options: [.fragmentsAllowed])
    }
}
