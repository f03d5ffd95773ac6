import ArgumentParser
import CMemory
import Foundation

/// The `ferry` command.
///
/// Exit codes are ``FerryExit``'s: 0 success, 1 a table or check failed, 2 usage or config, 3 declined,
/// 4 the state store.
@main
struct Ferry: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Replicate database tables between PostgreSQL, SQLite and Delta Lake, fast and without losing a row.",
        discussion: """
            Start with `ferry quickstart`: it builds a demo SQLite database and replicates it, no server needed.

            Credentials are read only from the environment (SOURCE_DB_USER, SOURCE_DB_PASSWORD, TARGET_DB_USER, \
            TARGET_DB_PASSWORD, or the names set with user_env/password_env). LOG_LEVEL sets the log level; \
            --log-format json makes every message on stderr a JSON line. Commands that report take --json.

            Examples:
              ferry quickstart
              ferry init --source postgres://db:5432/prod --output ferry.yaml
              ferry validate -c ferry.yaml --check-connections
              ferry run -c ferry.yaml --table orders --dry-run
              ferry status -c ferry.yaml --json
              ferry --generate-completion-script bash > /etc/bash_completion.d/ferry

            \(FerryExit.help(0, 1, 2, 3, 4))
            """,
        version: version,
        subcommands: [
            QuickstartCommand.self, InitCommand.self, RunCommand.self, ValidateCommand.self, StatusCommand.self,
            HistoryCommand.self,
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
                Foundation.exit(FerryExit.usage.rawValue)
            }
            Ferry.exit(withError: error)
        }
    }
}
