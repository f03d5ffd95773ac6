import FerryCore
import Foundation
import Yams

/// Reads a YAML config into a validated `PipelineConfig`.
///
/// Walks Yams' node tree rather than using `Codable`, so that every problem (unknown key, wrong type, missing
/// value, password in the file) is reported with the file, line and column it concerns.
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
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, column: nil, message: "the config file is not valid UTF-8")
        }
        return try parse(text, path: path)
    }

    /// Parses config text; `path` is used for messages and to resolve relative paths.
    public func parse(_ text: String, path: String) throws(ConfigError) -> PipelineConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, path: path)
        } catch {
            throw ConfigError(file: path, line: nil, column: nil, message: "invalid YAML: \(error)")
        }
        guard let root else {
            throw ConfigError(file: path, line: 1, column: 1, message: "the config file is empty")
        }
        var reader = NodeReader(file: path, environment: environment)
        return try reader.pipeline(root, text: text)
    }

    static func syntaxError(_ error: YamlError, path: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return ConfigError(file: path, line: mark.line, column: mark.column, message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                file: path, line: context.mark.line, column: context.mark.column,
                message: "duplicate key \(duplicates.joined(separator: ", ")) in a mapping; keep one")
        default:
            return ConfigError(file: path, line: nil, column: nil, message: "invalid YAML: \(error)")
        }
    }
}
