import ArgumentParser

/// How messages on stderr look: plain text, or one JSON object per line for log collectors.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}
