import DeltaLake
import FerryTestKit
import Foundation

/// A partitioned table committed through `DeltaTable`, with appends, a delete, a replace and two txn appIds.
///
/// Version 0 creates it; then each version appends one file, except 8 (deletes two files, one of them a day
/// ago and one 30 days ago, past the tombstone retention) and 15 (replaces every live file with two new ones).
/// Files rotate over partitions `a`, `b` and NULL. The schema has a `timestamp_ntz` column, so the protocol is
/// 3/7 with feature lists.
struct SampleTable {
    static let schema = StructType(fields: [
        StructField(name: "id", type: .long, nullable: false),
        StructField(name: "name", type: .string),
        StructField(name: "at", type: .timestampNtz),
        StructField(name: "part", type: .string),
    ])

    let table: DeltaTable
    /// The checkpoint outcome of every commit, by version.
    private(set) var outcomes: [Int64: DeltaTable.CheckpointOutcome] = [:]
    /// The ids each data file holds.
    private(set) var ids: [String: [Int64]] = [:]

    static func partition(_ index: Int) -> String? { [Optional("a"), "b", nil][index % 3] }

    static func path(_ index: Int) -> String {
        "part=\(partition(index) ?? "__HIVE_DEFAULT_PARTITION__")/f\(index).parquet"
    }

    /// Builds the table with `commits` commits after the create.
    /// - Parameter writeData: write real Parquet files (with pyarrow), for readers that read rows.
    init(_ table: DeltaTable, commits: Int, writeData: Bool, configuration: [String: String] = [:]) throws {
        self.table = table
        let count = commits + 2
        for index in 1...count { ids[Self.path(index)] = (0..<3).map { Int64(index * 10 + $0) } }
        var sizes: [String: Int64] = [:]
        if writeData {
            let spec = (1...count).map { [Self.path($0), ids[Self.path($0)] ?? []] as [Any] }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
            let written =
                try Python.json(
                    """
                    import sys, os, json, datetime, pyarrow as pa, pyarrow.parquet as pq
                    out = {}
                    for path, ids in json.loads(sys.argv[2]):
                        full = os.path.join(sys.argv[1], path)
                        os.makedirs(os.path.dirname(full), exist_ok=True)
                        at = [datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=i) for i in ids]
                        pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "name": [f"n{i}" for i in ids],
                                                 "at": pa.array(at, pa.timestamp("us"))}), full)
                        out[path] = os.path.getsize(full)
                    print(json.dumps(out))
                    """, [table.root, json]) as? [String: Int]
            for (path, size) in written ?? [:] { sizes[path] = Int64(size) }
        }
        try table.create(schema: Self.schema, partitionColumns: ["part"], configuration: configuration)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        var live: [String: AddFile] = [:]
        func add(_ index: Int) -> AddFile {
            let path = Self.path(index)
            let values = ids[path] ?? []
            return AddFile(
                path: path, partitionValues: ["part": Self.partition(index)], size: sizes[path] ?? 100,
                modificationTime: now,
                stats: FileStats(
                    numRecords: Int64(values.count), minValues: ["id": .int(values.first ?? 0)],
                    maxValues: ["id": .int(values.last ?? 0)], nullCount: ["id": .int(0), "name": .int(0)]
                ).json,
                tags: index == 2 ? ["origin": "sample"] : nil)
        }
        func remove(_ file: AddFile, at timestamp: Int64) -> Action {
            .remove(
                RemoveFile(
                    path: file.path, deletionTimestamp: timestamp, partitionValues: file.partitionValues,
                    size: file.size))
        }
        for version in 1...Int64(commits) {
            var actions: [Action] = []
            var readFiles = Set<String>()
            switch version {
            case 8:
                for (index, age) in [(1, 30 * day), (2, day)] {
                    guard let file = live.removeValue(forKey: Self.path(index)) else { continue }
                    actions.append(remove(file, at: now - age))
                    readFiles.insert(file.path)
                }
            case 15:
                for file in live.values.sorted(by: { $0.path < $1.path }) {
                    actions.append(remove(file, at: now))
                    readFiles.insert(file.path)
                }
                live = [:]
                for index in [count - 1, count] {
                    live[Self.path(index)] = add(index)
                    actions.append(.add(add(index)))
                }
            default:
                let file = add(Int(version))
                live[file.path] = file
                actions.append(.add(file))
            }
            let appId = version % 2 == 0 ? "pipe-even" : "pipe-odd"
            let report = try table.commitReporting(
                DeltaTable.Commit(
                    actions: actions, operation: version == 8 ? "DELETE" : "WRITE", readVersion: version - 1,
                    readFiles: readFiles, transaction: SetTransaction(appId: appId, version: version * 100)))
            guard report.result == .committed(version: version) else {
                throw FixtureError(description: "commit \(version) gave \(report.result)")
            }
            outcomes[version] = report.checkpoint
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// A store that fails every checkpoint write, for the "a checkpoint never fails a commit" rule.
struct CheckpointFailingStore: LogStore {
    let base: LocalLogStore

    var root: String { base.root }
    func readCommit(_ version: Int64) throws(DeltaError) -> Data? { try base.readCommit(version) }
    func writeCommit(_ version: Int64, _ data: Data) throws(DeltaError) { try base.writeCommit(version, data) }
    func listCommitVersions() throws(DeltaError) -> [Int64] { try base.listCommitVersions() }
    func read(_ relativePath: String) throws(DeltaError) -> Data? { try base.read(relativePath) }
    func list(_ relativeDirectory: String) throws(DeltaError) -> [String] { try base.list(relativeDirectory) }

    func write(_ relativePath: String, _ data: Data) throws(DeltaError) {
        if relativePath.contains("checkpoint") {
            throw DeltaError(.io, "injected failure writing \(relativePath)", table: root)
        }
        try base.write(relativePath, data)
    }
}

extension TempDirectory {
    /// Deletes the JSON commits of `versions` from `_delta_log`.
    func deleteCommits(_ versions: ClosedRange<Int64>) throws {
        for version in versions {
            let digits = String(version)
            let name = String(repeating: "0", count: 20 - digits.count) + digits + ".json"
            try FileManager.default.removeItem(atPath: file("_delta_log/" + name))
        }
    }

    func checkpointPath(_ version: Int64) -> String {
        let digits = String(version)
        return file("_delta_log/" + String(repeating: "0", count: 20 - digits.count) + digits + ".checkpoint.parquet")
    }
}
