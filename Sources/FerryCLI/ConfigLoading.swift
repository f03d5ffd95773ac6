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
            let hint =
                known.min { levenshtein($0, name) < levenshtein($1, name) }.map { "; did you mean '\($0)'?" } ?? ""
            printError(
                "error: --table \(name) is not in \(config.path) (tables: \(known.joined(separator: ", ")))\(hint)")
            throw FerryExit.usage
        }
        out.append(spec)
    }
    return out
}

func levenshtein(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
