import ArgumentParser
import FerryConfig
import FerryCore
import FerryState
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

/// Restricts the config's tables to `--table` names (`schema.name` or the short name, each once, in config order);
/// exits 2 on a name the config does not list, with the closest name, or on a short name two schemas share.
func selectTables(_ config: PipelineConfig, names: [String]) throws -> [TableSpec] {
    guard !names.isEmpty else { return config.tables }
    var chosen = Set<TableName>()
    let known = config.tables.map { $0.name.description }
    for name in names {
        let exact = config.tables.filter { $0.name.description == name }
        let matches = exact.isEmpty ? config.tables.filter { $0.name.name == name } : exact
        guard let spec = matches.first else {
            let candidates = known + config.tables.map(\.name.name)
            let hint = Suggestion.closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
            printError(
                "error: --table \(name) is not in \(config.path) (tables: \(known.joined(separator: ", ")))\(hint)")
            throw FerryExit.usage
        }
        guard matches.count == 1 else {
            let all = matches.map { $0.name.description }.joined(separator: ", ")
            printError(
                "error: --table \(name) names \(matches.count) tables in \(config.path) (\(all)); give one as schema.name"
            )
            throw FerryExit.usage
        }
        chosen.insert(spec.name)
    }
    return config.tables.filter { chosen.contains($0.name) }
}

/// The state store, to read: `nil` when it does not exist yet (nothing has run); exits 4 naming the file when it
/// exists but cannot be opened, since showing "never run" then would be a lie.
func openExistingStateStore(_ config: PipelineConfig) throws -> StateStore? {
    guard FileManager.default.fileExists(atPath: config.statePath) else { return nil }
    return try readState { () throws(FerryError) in try StateStore(path: config.statePath) }
}

/// Runs `body` against the state store; exits 4 with its error (which names the file and what to do).
func readState<T>(_ body: () throws(FerryError) -> T) throws -> T {
    do throws(FerryError) {
        return try body()
    } catch {
        printError("error: \(error)")
        throw FerryExit.stateStore
    }
}
