import FerryConfig
import FerryCore
import FerryTestKit
import Foundation
import Testing

/// A seeded, bounded fuzz of the config loader: valid configs, mutated 300 ways, must each load or be refused with
/// one short line that names its place. Deterministic (SplitMix64 from a fixed seed), so a failure reproduces.
@Suite struct ConfigFuzzTests {
    static let environment = ["SOURCE_DB_USER": "reader", "TARGET_DB_USER": "writer", "LAKE_USER": "lake"]

    /// Valid configs in block style, one `key: value` per line so mutations can aim at values.
    static let seeds = [
        """
        databases:
          source:
            type: sqlite
            path: ./shop.db
          target:
            type: delta
            path: ./lake
            compression: zstd
            deletion_vectors: false
        state:
          path: .ferry/state.db
        tables:
          - name: events
            sync_mode: incremental
            incremental_column: at
            incremental_type: datetime
            date_buffer_days: 7
            primary_key: id
            partition_by: kind
          - name: tags
            sync_mode: full_replace
            strategy: staging_swap
            row_limit: 100
        settings:
          default_batch_size: 5000
          connection_timeout: 30
          command_timeout: 300
          max_retries: 3
          workers: 2
          confirm: false

        """,
        """
        databases:
          source:
            type: postgres
            host: db.internal
            port: 5432
            database: prod
            sslmode: require
            cdc:
              slot_name: ferry_slot
              publication_name: ferry_pub
              batch_max_rows: 5000
              batch_max_seconds: 0.5
              batch_max_memory: 32MB
              max_retained_wal: 2GB
          target:
            type: postgres
            server: uat.internal
            database: uat
            user_env: LAKE_USER
        tables:
          - name: public.orders
            sync_mode: cdc
            deletes: soft
            metadata_columns: true
          - name: public.daily
            sync_mode: smart_sync
            incremental_column: day
            incremental_type: date
            date_buffer_days: 3
            fallback_to_full: true
            batch_size: 10000

        """,
        """
        databases:
          source: {type: sqlite, path: ./shop.db}
          target: {type: sqlite, path: ./copy.db}
        tables:
          - {name: events, sync_mode: incremental, incremental_column: id, incremental_type: identity}
          - {name: tags, target_table: tags_copy, truncate_target: true, primary_key: [tag, n]}
        settings: {dry_run: true, verbose_logging: false, workers: 1}

        """,
        """
        databases:
          source:
            type: postgres
            database: shop
          target:
            type: delta
            path: /tmp/ferry-fuzz-lake
        tables:
          - name: orders
            sync_mode: incremental
            incremental_column: updated_at
            incremental_type: datetime
            date_buffer_days: 36500
        """,
    ]

    /// Values that have broken loaders: overflowing, negative, fractional, null, empty, huge, control characters,
    /// collections where scalars go, YAML tags and aliases.
    static let values = [
        "2147483648", "9223372036854775807", "9223372036854775808", "-1", "-2147483649", "0", "1.5", "1e400",
        ".inf", "-.inf", ".nan", "~", "null", "", "''", "\"\"", "\"~\"", "[1, 2]", "{a: 1}", "[]", "{}", "true",
        "0x7fffffffffffffff", "99999999999TB", "1e30MB", "-5MB", "\"a\\u0001b\"", "\"one\\ntwo\"", "\"tab\\there\"",
        "ünïcödé", "a.b.c", ".", "a.", ".a", "*undefined", "&anchor x", "!!binary AAAA", "!!int 5", "!custom x",
        "'; DROP TABLE x; --", "a,,b", "\"\\u2028\"", String(repeating: "x", count: 1_000_000),
        String(repeating: "é", count: 70), "[" + String(repeating: "[", count: 200) + "]",
    ]

    static let unknownKeys = ["bogus", "pasword", "password", "user", "sync_mod", "databases", "name", "x"]

    /// One mutant of `seed`: one to three mutations of its text or bytes.
    static func mutate(_ seed: String, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = Array(seed.utf8)
        for _ in 0..<(rng.below(4) == 0 ? 2 : 1) {
            bytes = mutateOnce(bytes, &rng)
        }
        return bytes
    }

    static func mutateOnce(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let valueLines = lines.indices.filter { lines[$0].contains(UInt8(ascii: ":")) }
        let i = valueLines.isEmpty ? 0 : rng.pick(valueLines)
        let line = lines.isEmpty ? [] : lines[i]
        let indent = Array(line.prefix { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") })
        switch rng.below(16) {
        case 0...7:  // replace the value after the last ": " (block style) or inside a flow mapping
            guard let colon = lastColonSpace(line) else { break }
            let end = flowValueEnd(line, from: colon + 2)
            lines[i] = Array(line[..<(colon + 2)]) + Array(rng.pick(values).utf8) + Array(line[end...])
        case 8:  // delete a key
            if !lines.isEmpty { lines.remove(at: i) }
        case 9:  // duplicate a key
            if !lines.isEmpty { lines.insert(line, at: i) }
        case 10:  // an unknown key at the same indentation
            let key = rng.pick(unknownKeys)
            lines.insert(
                indent.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: " ") : $0 } + Array("\(key): 1".utf8), at: i + 1)
        case 11:  // a list where a scalar goes, or a mapping where a list goes
            guard let colon = lastColonSpace(line) else { break }
            let wrong = rng.pick(["[a, b]", "{k: v}", "- a", "[[x]]", "{tables: []}"])
            lines[i] = Array(line[..<(colon + 2)]) + Array(wrong.utf8)
        case 12:  // a raw control character
            let at = rng.below(bytes.count + 1)
            let control = UInt8(rng.pick([0, 1, 7, 8, 0x0B, 0x0C, 0x1B, 0x7F]))
            var out = bytes
            out.insert(control, at: at)
            return out
        case 13:  // bytes that are not UTF-8
            let at = rng.below(bytes.count + 1)
            var out = bytes
            out.insert(
                contentsOf: rng.pick([[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80]]),
                at: at)
            return out
        case 14:  // truncated at a random byte
            return Array(bytes.prefix(rng.below(bytes.count + 1)))
        default:  // a key's value moved to another key
            guard let colon = lastColonSpace(line), let other = valueLines.isEmpty ? nil : rng.pick(valueLines),
                let from = lastColonSpace(lines[other])
            else { break }
            lines[i] = Array(line[..<(colon + 2)]) + Array(lines[other][(from + 2)...])
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    /// Index of the `:` of the last `: ` in a line.
    static func lastColonSpace(_ line: [UInt8]) -> Int? {
        guard line.count >= 2 else { return nil }
        return (0..<(line.count - 1)).last { line[$0] == UInt8(ascii: ":") && line[$0 + 1] == UInt8(ascii: " ") }
    }

    /// Where a value that starts at `start` ends: at the next `,` or `}` in flow style, else at the end of the line.
    static func flowValueEnd(_ line: [UInt8], from start: Int) -> Int {
        guard line.contains(UInt8(ascii: "{")) else { return line.count }
        return line[start...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? line.count
    }

    /// A config the loader accepted holds only values in their documented ranges.
    static func checkRanges(_ config: PipelineConfig) {
        let s = config.settings
        #expect((1...10_000_000).contains(s.defaultBatchSize))
        #expect((1...86_400).contains(s.connectionTimeout))
        #expect((0...604_800).contains(s.commandTimeout))
        #expect((0...100).contains(s.maxRetries))
        #expect((1...256).contains(s.workers))
        for t in config.tables {
            #expect((0...36_500).contains(t.dateBufferDays))
            #expect((1...10_000_000).contains(t.batchSize))
            #expect(!t.name.name.isEmpty)
        }
        for db in [config.source, config.target] {
            if case .postgres(let pg) = db {
                #expect((1...65_535).contains(pg.port))
                #expect(!pg.host.isEmpty && pg.host != "~" && pg.host.utf8.count <= 255)
                #expect(!pg.database.isEmpty && pg.database.utf8.count <= 63)
                #expect(pg.cdc.batchMaxSeconds.isFinite && pg.cdc.batchMaxSeconds > 0)
            }
        }
    }

    @Test func threeHundredMutatedConfigsLoadOrFailOnOneLocatedLine() throws {
        var rng = SplitMix64(state: 0xF3_2217_C0F1_6000)
        let loader = ConfigLoader(environment: Self.environment)
        var accepted = 0
        var refused = 0
        for n in 0..<300 {
            let seed = Self.seeds[n % Self.seeds.count]
            let mutant = Self.mutate(seed, &rng)
            let sample = String(decoding: mutant.prefix(300), as: UTF8.self)
            do {
                let config = try loader.parse(data: Data(mutant), path: "fuzz/ferry.yaml")
                accepted += 1
                Self.checkRanges(config)
            } catch {
                refused += 1
                let text = error.description
                #expect(!error.message.contains { $0.isNewline }, "mutant \(n): \(text.prefix(300))\n\(sample)")
                #expect(text.count <= 400, "mutant \(n): \(text.count) characters: \(text.prefix(300))")
                #expect(text.hasPrefix("fuzz/ferry.yaml:"), "mutant \(n): \(text.prefix(300))")
                let located = (error.line != nil && error.column != nil) || error.message.contains("byte ")
                #expect(located, "mutant \(n) has no place: \(text.prefix(300))\n\(sample)")
            }
        }
        // Both outcomes occur, or the mutations are not exercising anything.
        #expect(accepted > 10 && refused > 100, "accepted \(accepted), refused \(refused)")
    }

    @Test func everySeedConfigLoads() throws {
        let loader = ConfigLoader(environment: Self.environment)
        for seed in Self.seeds {
            let config = try loader.parse(data: Data(seed.utf8), path: "fuzz/ferry.yaml")
            Self.checkRanges(config)
        }
    }
}
