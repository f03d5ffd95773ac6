import FerryState
import Foundation
import Logging
import Synchronization

/// Where stderr's format is decided: swift-log's handler (text or JSON lines, level from LOG_LEVEL) and Ferry's
/// own messages (``printError(_:)``), so `--log-format json` never mixes in a line of text.
enum LogSetup {
    private struct State {
        var format = LogFormat.text
        var bootstrapped = false
    }

    private static let state = Mutex(State())

    /// The format of stderr messages from now on; set before the config is read so its errors follow it too.
    static func use(_ format: LogFormat) {
        state.withLock { $0.format = format }
    }

    static var format: LogFormat { state.withLock { $0.format } }

    /// Bootstraps swift-log once per process (swift-log allows only one) and sets the message format.
    static func bootstrap(format: LogFormat, verbose: Bool) {
        let first = state.withLock { s -> Bool in
            s.format = format
            defer { s.bootstrapped = true }
            return !s.bootstrapped
        }
        guard first else { return }
        let env = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
        let level = env ?? (verbose ? .debug : (format == .json ? .info : .warning))
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Prints a message for the user on stderr: as given in text mode, as a JSON log line (level from its `error:`,
/// `warning:` or `note:` prefix) with `--log-format json`.
func printError(_ message: String) {
    guard LogSetup.format == .json else {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return
    }
    let levels: [(prefix: String, level: Logger.Level)] = [
        ("error: ", .error), ("warning: ", .warning), ("note: ", .notice),
    ]
    let match = levels.first { message.hasPrefix($0.prefix) }
    JSONLogHandler.write(
        level: match?.level ?? .info, label: "ferry",
        message: String(message.dropFirst(match?.prefix.count ?? 0)).trimmingCharacters(in: .whitespaces))
}
