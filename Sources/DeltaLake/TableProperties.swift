import Foundation
import Parquet

/// The table properties (`metaData.configuration`) that steer checkpoints, read the way Delta Lake writers do.
///
/// A malformed value falls back to the protocol's default rather than failing: these properties tune
/// maintenance, and a commit must never fail because one of them cannot be parsed.
enum TableProperties {
    static let checkpointIntervalKey = "delta.checkpointInterval"
    static let deletedFileRetentionKey = "delta.deletedFileRetentionDuration"
    static let compressionCodecKey = "delta.parquet.compression.codec"

    /// Commits between checkpoints (`delta.checkpointInterval`, default 10).
    static func checkpointInterval(_ configuration: [String: String]) -> Int64 {
        guard let text = configuration[checkpointIntervalKey], let value = Int64(text.trimmed), value > 0 else {
            return 10
        }
        return value
    }

    /// How long `remove` tombstones are kept in checkpoints (`delta.deletedFileRetentionDuration`, default one
    /// week), so VACUUM keeps the files that time travel inside that window still needs.
    static func deletedFileRetention(_ configuration: [String: String]) -> TimeInterval {
        configuration[deletedFileRetentionKey].flatMap(interval) ?? 7 * 24 * 3600
    }

    /// The codec for checkpoint files (`delta.parquet.compression.codec`, zstd when absent or not one we write).
    static func checkpointCodec(_ configuration: [String: String]) -> Codec {
        switch configuration[compressionCodecKey]?.trimmed.lowercased() {
        case "snappy": .snappy
        case "gzip": .gzip
        case "uncompressed", "none": .uncompressed
        default: .zstd()
        }
    }

    /// Parses a Spark calendar interval such as `interval 1 week` or `interval 2 days 12 hours`.
    static func interval(_ text: String) -> TimeInterval? {
        var words = text.lowercased().split(whereSeparator: \.isWhitespace)
        if words.first == "interval" { words.removeFirst() }
        guard !words.isEmpty, words.count.isMultiple(of: 2) else { return nil }
        let seconds: [String: Double] = [
            "nanosecond": 1e-9, "microsecond": 1e-6, "millisecond": 1e-3, "second": 1, "minute": 60, "hour": 3600,
            "day": 86_400, "week": 604_800,
        ]
        var total: TimeInterval = 0
        for index in stride(from: 0, to: words.count, by: 2) {
            var unit = String(words[index + 1])
            if unit.hasSuffix("s") { unit.removeLast() }
            guard let amount = Double(words[index]), let scale = seconds[unit] else { return nil }
            total += amount * scale
        }
        return total
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
