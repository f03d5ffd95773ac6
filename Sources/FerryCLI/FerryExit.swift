import ArgumentParser

/// Ferry's exit codes, the same for every command (README "Commands"; each command's `--help`).
///
/// One mapping so that a scheduler can tell "retry later" (1, 4) from "fix the config" (2) and from "someone said
/// no" (3) without reading the output.
enum FerryExit {
    /// Everything succeeded.
    static let success = ExitCode(0)
    /// At least one table or check failed (the others still ran).
    static let tableFailed = ExitCode(1)
    /// Bad usage or config: nothing was changed.
    static let usage = ExitCode(2)
    /// The user answered no (or could not be asked): nothing was changed.
    static let declined = ExitCode(3)
    /// The state store could not be opened, read or written.
    static let stateStore = ExitCode(4)

    /// What each code means, in the words `--help` uses.
    static let meanings: [Int32: String] = [
        0: "0 success",
        1: "1 a table or check failed (the others still ran)",
        2: "2 bad usage or config (nothing was changed)",
        3: "3 declined: answered no, or no terminal to ask and no --force (nothing was changed)",
        4: "4 the state store cannot be opened, read or written",
    ]

    /// `Exit codes: 0 success; 1 …` for the codes a command can end with, for its `--help`.
    static func help(_ codes: Int32...) -> String {
        "Exit codes: " + codes.compactMap { meanings[$0] }.joined(separator: "; ") + "."
    }
}
