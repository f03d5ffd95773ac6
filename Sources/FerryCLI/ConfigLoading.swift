import ArgumentParser
import FerryConfig
import FerryCore
import Foundation

/// Loads the config or exits 2 with a located, one-line error.
func loadConfig(_ path: String) throws -> PipelineConfig {
    do {
        return try ConfigLoader().load(path: path)
    } catch {
        printError("error: \(error)")
        throw FerryExit.usage
    }
}

/// Restricts the config's tables to `--table` names; exits 2 on a name the config does not list.
func selectTables(_ config: PipelineConfig, names: [String]) throws -> [TableSpec] {
    guard !names.isEmpty else { return config.tables }
    var out: [TableSpec] = []
    let known = config.tables.map { $0.name.description }
    for name in names {
        guard let spec = config.tables.first(where: { $0.name.description == name || $0.name.name == name }) else {
            let candidates = known + config.tables.map(\.name.name)
            let hint = Suggestion.closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
            printError(
                "error: --table \(name) is not in \(config.path) (tables: \(known.joined(separator: ", ")))\(hint)")
            throw FerryExit.usage
        }
        out.append(spec)
    }
    return out
}
