import FerryTestKit
import Foundation
import GRDB
import Testing

/// The config fuzz through the real binary: `validate` and `run --dry-run` on seeded mutants of small, valid
/// configs never die of a signal, and every config error is one line with its place.
///
/// The loader itself is fuzzed 300 ways in FerryConfigTests/ConfigFuzzTests.swift; this is the smaller end-to-end
/// check that nothing between the file and the exit status (the CLI's printing, the planner on a dry run) crashes.
@Suite(.serialized) struct ConfigFuzzCLITests {
    static let seeds = [
        """
        databases:
          source:
            type: sqlite
            path: ./shop.db
          target:
            type: sqlite
            path: ./copy.db
        tables:
          - name: events
            sync_mode: incremental
            incremental_column: at
            incremental_type: datetime
            date_buffer_days: 7
            batch_size: 10
          - name: tags
            sync_mode: full_replace
        settings:
          connection_timeout: 30
          command_timeout: 300
          workers: 2
          confirm: false

        """,
        """
        databases:
          source:
            type: sqlite
            path: ./shop.db
          target:
            type: delta
            path: ./lake
            compression: snappy
        tables:
          - name: events
            sync_mode: smart_sync
            incremental_column: id
            incremental_type: identity
            partition_by: kind
            row_limit: 20
        settings:
          default_batch_size: 100
          max_retries: 1

        """,
    ]

    static let values = [
        "2147483648", "9223372036854775807", "9223372036854775808", "-1", "0", "1.5", ".inf", ".nan", "~", "",
        "''", "[1, 2]", "{a: 1}", "\"a\\u0001b\"", "\"one\\ntwo\"", "ünïcödé", "*undefined", "!!binary AAAA",
        String(repeating: "x", count: 1_000_000), "/", "events",
    ]

    static func makeShop(_ path: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
                    CREATE TABLE tags (tag TEXT PRIMARY KEY, n INT);
                    INSERT INTO tags VALUES ('a', 1), ('b', NULL);
                    """)
            for i in 1...30 {
                try db.execute(
                    sql: "INSERT INTO events VALUES (?, ?, ?)",
                    arguments: [i, "k\(i % 3)", "2024-01-\(String(format: "%02d", i % 28 + 1)) 10:00:00+00:00"])
            }
        }
        try q.close()
    }

    static func mutate(_ seed: String, _ rng: inout SplitMix64) -> [UInt8] {
        let bytes = Array(seed.utf8)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let valueLines = lines.indices.filter { lines[$0].contains(UInt8(ascii: ":")) }
        let i = rng.pick(valueLines)
        let line = lines[i]
        let colon = (0..<(line.count - 1)).last { line[$0] == UInt8(ascii: ":") && line[$0 + 1] == UInt8(ascii: " ") }
        switch rng.below(8) {
        case 0...2:
            guard let colon else { break }
            lines[i] = Array(line[..<(colon + 2)]) + Array(rng.pick(values).utf8)
        case 3:
            lines.remove(at: i)
        case 4:
            lines.insert(line, at: i)
        case 5:
            let indent = line.prefix { $0 == UInt8(ascii: " ") }
            lines.insert(Array(indent) + Array("bogus: 1".utf8), at: i + 1)
        case 6:
            var out = bytes
            out.insert(contentsOf: rng.pick([[0x01], [0x00], [0xFF], [0xC3]]), at: rng.below(bytes.count + 1))
            return out
        default:
            return Array(bytes.prefix(rng.below(bytes.count + 1)))
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    /// An `error: <config>:…` line names its line (and column) or its byte.
    static func isLocated(_ line: Substring, config: String) -> Bool {
        let rest = line.dropFirst("error: \(config):".count)
        return rest.first?.isNumber == true || line.contains("byte ")
    }

    /// The outcome of one command on one mutant, checked.
    static func check(_ r: FerryBinary.Result, command: String, config: String, mutant n: Int, sample: String) {
        let what = "mutant \(n) (\(command)): status \(r.status), stderr: \(r.stderr.prefix(400))\n\(sample)"
        #expect([0, 1, 2].contains(r.status), "\(what)")
        let lines = r.stderr.split(separator: "\n")
        for line in lines where line.hasPrefix("error: \(config):") {
            #expect(Self.isLocated(line, config: config), "\(what)")
            #expect(line.count < 400 + config.count, "\(what)")
        }
        if r.status == 2 {
            #expect(lines.contains { $0.hasPrefix("error: ") }, "\(what)")
        }
        if command == "validate" {
            #expect(r.status == 0 || lines.count == 1, "\(what)")
        }
    }

    @Test func fortyMutatedConfigsNeverCrashValidateOrADryRun() throws {
        let dir = TempDirectory("ferry-fuzz-cli")
        try Self.makeShop(dir.file("shop.db"))
        var rng = SplitMix64(state: 0xC11F_0022_5EED)
        let started = Date()
        var (valid, refused, ranDry) = (0, 0, 0)
        for n in 0..<40 {
            let mutant = Self.mutate(Self.seeds[n % Self.seeds.count], &rng)
            let config = dir.file("mutant-\(n).yaml")
            try Data(mutant).write(to: URL(fileURLWithPath: config))
            let sample = String(decoding: mutant.prefix(300), as: UTF8.self)
            let validate = try FerryBinary.run(["validate", "--config", config])
            Self.check(validate, command: "validate", config: config, mutant: n, sample: sample)
            let dryRun = try FerryBinary.run(["run", "--config", config, "--dry-run"])
            Self.check(dryRun, command: "run --dry-run", config: config, mutant: n, sample: sample)
            #expect(validate.status == 0 || dryRun.status == 2, "mutant \(n): validate refused, run did not")
            if validate.status == 0 { valid += 1 } else { refused += 1 }
            if dryRun.status == 0 { ranDry += 1 }
        }
        // Both outcomes occur, and valid mutants get as far as a dry run, or the fuzz is not exercising anything.
        #expect(valid >= 5 && refused >= 10 && ranDry >= 3, "valid \(valid), refused \(refused), dry runs \(ranDry)")
        #expect(Date().timeIntervalSince(started) < 60)
    }

    @Test func aHugeDateBufferOnADatetimeTableIsRefusedAndTheLargestAllowedRuns() throws {
        let dir = TempDirectory("ferry-fuzz-cli")
        try Self.makeShop(dir.file("shop.db"))
        func write(_ days: String) throws -> String {
            let text = Self.seeds[0].replacingOccurrences(of: "date_buffer_days: 7", with: "date_buffer_days: \(days)")
            try text.write(toFile: dir.file("ferry.yaml"), atomically: true, encoding: .utf8)
            return dir.file("ferry.yaml")
        }
        let huge = try write("2147483648")
        for args in [["validate", "--config", huge], ["run", "--config", huge]] {
            let r = try FerryBinary.run(args)
            #expect(r.status == 2, "\(args[0]): \(r.stderr)")
            #expect(r.stderr.contains("ferry.yaml:13:"), "\(r.stderr)")
            #expect(r.stderr.contains("date_buffer_days must be an integer from 0 to 36500, got 2147483648"))
        }
        // The largest accepted look-back, on a target that has rows (so the watermark is moved back), runs.
        let largest = try write("36500")
        for _ in 0..<2 {
            let r = try FerryBinary.run(["run", "--config", largest])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let q = try DatabaseQueue(path: dir.file("copy.db"))
        #expect(try q.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") } == 30)
    }
}
