import FerryState
import Foundation
import Logging

/// One JSON object per line on stderr: `{"label":…,"level":…,"message":…,"ts":…,<metadata>}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[k] = "\(v)" }
        if let error = event.error { fields["error"] = "\(error)" }
        Self.write(level: event.level, label: label, message: event.message.description, fields: fields)
    }

    /// Writes one line; also used for Ferry's own messages, so both look the same to a log collector.
    static func write(level: Logger.Level, label: String, message: String, fields: [String: String] = [:]) {
        var object = fields
        object["ts"] = ISO8601.string(Date())
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            FileHandle.standardError.write(data + Data("\n".utf8))
        }
    }
}
