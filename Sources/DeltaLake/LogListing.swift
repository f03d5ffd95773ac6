/// The files of `_delta_log`, sorted out: commit versions and checkpoints.
///
/// Checkpoints are found by listing because `_last_checkpoint` is only a hint: a writer may crash between the
/// checkpoint and the hint, racing writers may overwrite it with an older version, and time travel needs
/// checkpoints older than the one it names.
struct LogListing {
    /// Versions of the JSON commits present, ascending.
    private(set) var commits: [Int64] = []
    /// Every checkpoint whose files are all present, newest first.
    private(set) var checkpoints: [CheckpointFiles] = []

    init(names: [String]) {
        var parts: [PartSetKey: Set<Int>] = [:]
        for name in names {
            switch LogFileName(name) {
            case .commit(let version): commits.append(version)
            case .classicCheckpoint(let version):
                checkpoints.append(CheckpointFiles(version: version, kind: .classic, names: [name]))
            case .checkpointPart(let version, let part, let count):
                parts[PartSetKey(version: version, parts: count), default: []].insert(part)
            case .uuidCheckpoint(let version):
                checkpoints.append(CheckpointFiles(version: version, kind: .uuidNamed, names: [name]))
            case nil: break
            }
        }
        commits.sort()
        // A multi-part checkpoint is written part by part, not atomically: one with a missing part is ignored.
        for (key, present) in parts where key.parts > 0 && present == Set(1...key.parts) {
            let names = (1...key.parts).map { LogFileName.checkpointPartName(key.version, part: $0, of: key.parts) }
            checkpoints.append(CheckpointFiles(version: key.version, kind: .multiPart(parts: key.parts), names: names))
        }
        checkpoints.sort { $0.version > $1.version }
    }

    /// The newest version the log holds, as a commit or a checkpoint.
    var latestVersion: Int64? {
        let newest = max(commits.last ?? -1, checkpoints.first?.version ?? -1)
        return newest >= 0 ? newest : nil
    }

    /// The checkpoints usable for a snapshot at `version`, best first: newest first, and at one version the
    /// classic file, then the multi-part set `_last_checkpoint` names, then other multi-part sets, then V2 ones.
    func checkpoints(atOrBefore version: Int64, hint: LastCheckpoint?) -> [CheckpointFiles] {
        func rank(_ checkpoint: CheckpointFiles) -> Int {
            switch checkpoint.kind {
            case .classic: 0
            case .multiPart(let parts): hint?.version == checkpoint.version && hint?.parts == parts ? 1 : 2
            case .uuidNamed: 3
            }
        }
        return checkpoints.filter { $0.version <= version }.sorted {
            $0.version != $1.version ? $0.version > $1.version : rank($0) < rank($1)
        }
    }
}

/// The files of one checkpoint of one version.
struct CheckpointFiles: Hashable {
    enum Kind: Hashable {
        /// `<v>.checkpoint.parquet`, the one file this library writes.
        case classic
        /// `<v>.checkpoint.<part>.<parts>.parquet`, deprecated but still written by older Spark versions.
        case multiPart(parts: Int)
        /// `<v>.checkpoint.<uuid>.(json|parquet)`: a V2 checkpoint, which this library refuses.
        case uuidNamed
    }

    var version: Int64
    var kind: Kind
    /// File names inside `_delta_log`, in part order.
    var names: [String]

    /// The paths relative to the table root.
    var paths: [String] { names.map { "_delta_log/" + $0 } }
}

/// What a file name in `_delta_log` means.
enum LogFileName: Equatable {
    case commit(Int64)
    case classicCheckpoint(Int64)
    case checkpointPart(Int64, part: Int, parts: Int)
    case uuidCheckpoint(Int64)

    /// `nil` for anything else: `_last_checkpoint`, `.crc` files, log compactions, temporary files.
    init?(_ name: String) {
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let first = components.first, first.count == 20, first.allSatisfy(\.isASCIIDigit),
            let version = Int64(first)
        else { return nil }
        switch components.count {
        case 2 where components[1] == "json":
            self = .commit(version)
        case 3 where components[1] == "checkpoint" && components[2] == "parquet":
            self = .classicCheckpoint(version)
        case 4 where components[1] == "checkpoint" && (components[3] == "parquet" || components[3] == "json"):
            guard !components[2].allSatisfy(\.isASCIIDigit) else { return nil }
            self = .uuidCheckpoint(version)
        case 5 where components[1] == "checkpoint" && components[4] == "parquet":
            guard components[2].count == 10, components[3].count == 10, let part = Int(components[2]),
                let parts = Int(components[3]), part >= 1, part <= parts
            else { return nil }
            self = .checkpointPart(version, part: part, parts: parts)
        default:
            return nil
        }
    }

    static func padded(_ value: Int64, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func classicCheckpointName(_ version: Int64) -> String {
        padded(version, width: 20) + ".checkpoint.parquet"
    }

    static func checkpointPartName(_ version: Int64, part: Int, of parts: Int) -> String {
        padded(version, width: 20) + ".checkpoint." + padded(Int64(part), width: 10) + "."
            + padded(Int64(parts), width: 10) + ".parquet"
    }
}

private struct PartSetKey: Hashable {
    var version: Int64
    var parts: Int
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
