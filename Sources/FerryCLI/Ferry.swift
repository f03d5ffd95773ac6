import ArgumentParser
import CMemory
import Foundation

/// The `ferry` command.
///
/// Exit codes: 0 all good; 1 at least one table failed (the others still ran); 2 bad usage or config.
@main
struct Ferry: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Replicate database tables between PostgreSQL, SQLite and Delta Lake, fast and without losing a row.",
        discussion: """
            Start with `ferry quickstart`: it builds a demo SQLite database and replicates it, no server needed.

            Credentials are read only from the environment (SOURCE_DB_USER, SOURCE_DB_PASSWORD, TARGET_DB_USER,
            TARGET_DB_PASSWORD, or the names set with user_env/password_env). LOG_LEVEL sets the log level.

            Exit codes: 0 success; 1 at least one table failed (the others still ran); 2 bad usage or config.
            """,
        version: version,
        subcommands: [
            QuickstartCommand.self, RunCommand.self, ValidateCommand.self, StatusCommand.self, HistoryCommand.self,
            VacuumCommand.self, CleanupCommand.self, SimulateCommand.self, VersionCommand.self,
        ]
    )

    /// Keeps memory freed by one batch for the next instead of handing it back to the kernel.
    ///
    /// Batches allocate and free the same large arrays over and over; by default glibc maps the larger ones afresh
    /// and trims the heap after each, and the kernel then zeroes every page again on first touch (measured: an
    /// eighth of the CDC stream thread's time in `clear_page`). Peak memory is unchanged: it is what a batch needs.
    static func keepFreedMemory() {
        ferry_keep_freed_memory()
    }

    /// Maps argument-parser's usage errors (64) to Ferry's documented exit code 2.
    static func main() async {
        keepFreedMemory()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 0 {
                Ferry.exit(withError: error)
            }
            if code == .validationFailure {
                let message = fullMessage(for: error)
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            Ferry.exit(withError: error)
        }
    }
}

/// Documented exit codes (README "Commands"; `ferry --help`).
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
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Ferry's version.")

    func run() {
        print("ferry \(Ferry.version)")
    }
}

/// Options every config-driven command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "Log format: text or json.")
    var logFormat: LogFormat = .text
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Prints to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
