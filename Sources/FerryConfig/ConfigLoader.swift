import FerryCore
import Foundation
import Yams

/// Reads a YAML config into a validated `PipelineConfig`.
///
/// Walks Yams' node tree rather than using `Codable`, so that every problem (unknown key, wrong type, value out of
/// range, missing value, password in the file) is reported on one line with the file, line and column it concerns.
public struct ConfigLoader {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads and validates the config at `path`.
    public func load(path: String) throws(ConfigError) -> PipelineConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                file: path, line: nil, column: nil,
                message: "cannot read the config file (check the path given to --config)")
        }
        return try parse(data: data, path: path)
    }

    /// Parses the bytes of a config file: refuses bytes that are not UTF-8 at the first bad byte, then `parse`.
    public func parse(data: Data, path: String) throws(ConfigError) -> PipelineConfig {
        let bytes = [UInt8](data)
        if let offset = TextPosition.firstInvalidUTF8(in: bytes) {
            let at = TextPosition(byteOffset: offset, in: bytes)
            let hex = String(bytes[offset], radix: 16, uppercase: true)
            throw ConfigError(
                file: path, line: at.line, column: at.column,
                message:
                    "the config file is not valid UTF-8: byte \(offset) (0x\(hex.count < 2 ? "0" : "")\(hex)) is not part of "
                    + "a valid UTF-8 character; save the file as UTF-8")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Parses config text; `path` is used for messages and to resolve relative paths.
    public func parse(_ text: String, path: String) throws(ConfigError) -> PipelineConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, path: path, text: text)
        } catch {
            throw ConfigError(
                file: path, line: nil, column: nil, message: "invalid YAML: \(Echo.quote(String(describing: error)))")
        }
        guard let root else {
            throw ConfigError(file: path, line: 1, column: 1, message: "the config file is empty")
        }
        var reader = NodeReader(file: path, environment: environment)
        return try reader.pipeline(root, text: text)
    }

    /// libyaml's error as one line at its place. Yams' own descriptions span several lines (they quote the source
    /// line and draw a caret under it), so only the problem and its context are kept.
    static func syntaxError(_ error: YamlError, path: String, text: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(oneLine(problem))"
            if let context { message += " (\(oneLine(context.text)) at line \(context.mark.line))" }
            return ConfigError(file: path, line: mark.line, column: mark.column, message: message)
        case .reader(let problem, let offset, let value, _):
            let at = TextPosition(characterOffset: offset ?? 0, in: text)
            let character = value >= 0 ? String(format: "U+%04X ", value) : ""
            return ConfigError(
                file: path, line: at.line, column: at.column,
                message:
                    "invalid YAML: \(oneLine(problem)) (\(character)at byte \(at.byteOffset)); remove it or write it as an escape in a double-quoted string"
            )
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.prefix(3).map { Echo.quote($0) }.joined(separator: ", ")
            return ConfigError(
                file: path, line: context.mark.line, column: context.mark.column,
                message: "duplicate key \(keys) in a mapping; keep one")
        default:
            return ConfigError(
                file: path, line: nil, column: nil, message: "invalid YAML: \(Echo.quote(String(describing: error)))")
        }
    }

    /// A libyaml message on one line and bounded (it never should need it, but it is not ours to trust).
    static func oneLine(_ text: String) -> String {
        let quoted = Echo.quote(text, limit: 200)
        return String(quoted.dropFirst().dropLast())
    }
}
