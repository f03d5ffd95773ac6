import DeltaLake
import FerryCore
import FerryDelta
import FerryTestKit
import Foundation
import Parquet
import Testing

/// Ferry writes Delta tables; delta-rs (the `deltalake` package) and pyarrow must read back exactly what went in.
/// Strictly increasing txn versions, one per simulated run.
enum RunClock {
    nonisolated(unsafe) static var last: Int64 = 1_000
    static let lock = NSLock()
    static func next() -> Int64 {
        lock.withLock {
            last += 1; return last
        }
    }
}

@Suite struct DeltaDestinationTests {
    static let columns: [Column] = [
        Column(name: "id", type: .int64, nullable: false), Column(name: "flag", type: .boolean),
        Column(name: "small", type: .int16), Column(name: "medium", type: .int32), Column(name: "big", type: .int64),
        Column(name: "f4", type: .float32), Column(name: "f8", type: .float64),
        Column(name: "d9", type: .decimal(precision: 9, scale: 2)),
        Column(name: "d18", type: .decimal(precision: 18, scale: 4)),
        Column(name: "d38", type: .decimal(precision: 38, scale: 10)), Column(name: "anynum", type: .numeric),
        Column(name: "name", type: .text), Column(name: "payload", type: .bytes), Column(name: "ref", type: .uuid),
        Column(name: "doc", type: .jsonb), Column(name: "born", type: .date), Column(name: "tod", type: .time),
        Column(name: "local_ts", type: .timestamp), Column(name: "utc_ts", type: .timestampTZ),
    ]

    static let max38 = Int128("99999999999999999999999999999999999999")!

    /// Row `i` of the test table; every 5th row is NULL in every nullable column.
    static func batch(_ range: Range<Int>) -> RecordBatch {
        var b = RecordBatch(columns: columns, capacity: range.count)
        for i in range {
            b.vectors[0].append(Int64(i))
            if i % 5 == 4 {
                for c in 1..<columns.count { b.vectors[c].appendNull() }
                continue
            }
            let sign: Int64 = i % 2 == 0 ? 1 : -1
            b.vectors[1].append(i % 3 == 0)
            b.vectors[2].append(i % 7 == 0 ? Int64(Int16.min) : Int64(i % 1000) * sign)
            b.vectors[3].append(i % 7 == 1 ? Int64(Int32.max) : Int64(i) * 1000 * sign)
            b.vectors[4].append(i % 7 == 2 ? Int64.min : Int64(i) * 1_000_000_007 * sign)
            b.vectors[5].append(Double(Float(Double(i) / 3)))
            b.vectors[6].append(i % 7 == 3 ? -0.0 : Double(i) / 7 * Double(sign))
            b.vectors[7].append(decimal: i % 7 == 4 ? 999_999_999 : Int128(i * 101) * Int128(sign))
            b.vectors[8].append(decimal: i % 7 == 4 ? 999_999_999_999_999_999 : Int128(i) * 1_000_003 * Int128(sign))
            b.vectors[9].append(
                decimal: i % 7 == 5 ? -max38 : (i % 7 == 6 ? max38 : Int128(i) * 123_456_789_012_345 * Int128(sign)))
            b.vectors[10].append(string: "\(i)12345678901234567890123456789012345678901234567890.000\(i)")
            b.vectors[11].append(string: i % 3 == 0 ? "" : "row \(i) — ünïcødé 中文 🚀 \"quoted\"\n")
            b.vectors[12].append(bytes: [0, 255, UInt8(i % 256)])
            b.vectors[13].append(bytes: (0..<16).map { UInt8(($0 * 17 + i) % 256) })
            b.vectors[14].append(string: "{\"k\": \(i), \"a\": [1, null]}")
            b.vectors[15].append(Int64(i % 2 == 0 ? 19_000 + i : -25_000 - i))
            b.vectors[16].append(Int64(i) * 1_000_001 % 86_400_000_000)
            b.vectors[17].append(Int64(i) * 86_400_000_001 * sign)
            b.vectors[18].append(1_700_000_000_000_000 + Int64(i) * 1_000_001 * sign)
        }
        return b
    }

    /// The canonical text of every value, as the Python side prints it.
    static func canonical(_ b: RecordBatch) -> [[String]] {
        (0..<b.rowCount).map { r in
            b.columns.indices.map { c -> String in
                let v = b.vectors[c]
                if v.isNull(r) { return "None" }
                switch b.columns[c].type {
                case .boolean: return v.bool(at: r) ? "True" : "False"
                case .float32, .float64: return String(v.float64(at: r))
                case .decimal(_, let s): return DecimalText.format(unscaled: v.decimal(at: r), scale: s)
                case .bytes: return v.bytes(at: r).map { String(format: "%02x", $0) }.joined()
                case .uuid: return UUIDText.format(Array(v.bytes(at: r)))
                case .time: return TimeText.formatTime(micros: v.int64(at: r))
                case .numeric, .text, .json, .jsonb: return v.string(at: r)
                default: return String(v.int64(at: r))
                }
            }
        }
    }

    static let reader =
        Python.readDelta + """
            import sys, json, pyarrow as pa, pyarrow.compute as pc
            from deltalake import DeltaTable
            dt = DeltaTable(sys.argv[1])
            t = read_delta(sys.argv[1])
            t = t.sort_by("id") if t.num_rows else t
            cols = []
            for name in t.column_names:
                col = t.column(name)
                ty = col.type
                if pa.types.is_timestamp(ty) or pa.types.is_date(ty):
                    col = col.cast(pa.int64() if pa.types.is_timestamp(ty) else pa.int32())
                vals = col.to_pylist()
                if pa.types.is_binary(ty):
                    vals = [None if v is None else v.hex() for v in vals]
                elif pa.types.is_floating(ty):
                    vals = [None if v is None else repr(float(v)) for v in vals]
                elif pa.types.is_decimal(ty):
                    vals = [None if v is None else format(v, "f") for v in vals]
                elif pa.types.is_boolean(ty):
                    vals = [None if v is None else str(v) for v in vals]
                cols.append(["None" if v is None else str(v) for v in vals])
            rows = [list(r) for r in zip(*cols)] if cols else []
            print(json.dumps({"version": dt.version(), "rows": rows, "types": [str(f.type) for f in t.schema],
                              "protocol": [dt.protocol().min_reader_version, dt.protocol().min_writer_version],
                              "files": len(dt.file_uris())}))
            """

    func write(
        _ dir: TempDirectory, _ batches: [RecordBatch], mode: WriteMode,
        options: DeltaWriteOptions = DeltaWriteOptions(transactionVersion: RunClock.next()), key: [String] = ["id"]
    ) throws -> Int64 {
        let w = try DeltaDestination(root: dir.path, options: options).openWriter(TableName(name: "t"))
        defer { w.close() }
        try w.begin(schema: TableSchema(columns: Self.columns, primaryKey: key), mode: mode)
        for b in batches { try w.write(b) }
        return try w.commit()
    }

    /// Compares rows read by delta-rs with the expected ones, reporting the first difference only.
    func expectRows(_ out: [String: Any], _ expected: [[String]], sourceLocation: SourceLocation = #_sourceLocation) {
        let rows = out["rows"] as? [[String]] ?? []
        #expect(rows.count == expected.count, "row count", sourceLocation: sourceLocation)
        if let i = (0..<min(rows.count, expected.count)).first(where: { rows[$0] != expected[$0] }) {
            Issue.record(
                "row \(i) differs:\n delta-rs: \(rows[i])\n expected: \(expected[i])", sourceLocation: sourceLocation)
        }
    }

    func read(_ dir: TempDirectory) throws -> [String: Any] {
        try Python.json(Self.reader, [dir.file("t")]) as? [String: Any] ?? [:]
    }

    @Test func everyTypeReadsBackExactlyThroughDeltaRs() throws {
        let dir = TempDirectory("delta-dst")
        let batches = [Self.batch(0..<300), Self.batch(300..<700)]
        #expect(try write(dir, batches, mode: .replace(.simpleCopy)) == 700)
        let out = try read(dir)
        #expect(out["version"] as? Int == 0)
        #expect(out["protocol"] as? [Int] == [3, 7])
        expectRows(out, batches.flatMap(Self.canonical))
        #expect(
            out["types"] as? [String] == [
                "int64", "bool", "int16", "int32", "int64", "float", "double", "decimal128(9, 2)", "decimal128(18, 4)",
                "decimal128(38, 10)", "string", "string", "binary", "string", "string", "date32[day]", "string",
                "timestamp[us]", "timestamp[us, tz=UTC]",
            ])
    }

    @Test func multiRowGroupAndMultiFileTablesReadBack() throws {
        let dir = TempDirectory("delta-dst")
        let options = DeltaWriteOptions(
            targetFileBytes: 64 << 10, rowGroupBytes: 16 << 10, transactionVersion: RunClock.next())
        let batches = stride(from: 0, to: 4000, by: 500).map { Self.batch($0..<($0 + 500)) }
        #expect(try write(dir, batches, mode: .append, options: options) == 4000)
        let out = try read(dir)
        #expect((out["files"] as? Int ?? 0) > 1)
        expectRows(out, batches.flatMap(Self.canonical))
        let groups =
            try Python.json(
                "import sys, glob, pyarrow.parquet as pq; print(max(pq.ParquetFile(f).num_row_groups for f in glob.glob(sys.argv[1] + '/*.parquet')))",
                [dir.file("t")]) as? Int
        #expect((groups ?? 0) > 1)
    }

    @Test func emptyTableIsAValidDeltaTable() throws {
        let dir = TempDirectory("delta-dst")
        #expect(try write(dir, [], mode: .replace(.simpleCopy)) == 0)
        let out = try read(dir)
        #expect(out["version"] as? Int == 0)
        #expect((out["rows"] as? [[String]])?.isEmpty == true)
    }

    @Test func replaceIsOneCommitAndMergeUpsertsWithoutDuplicates() throws {
        let dir = TempDirectory("delta-dst")
        _ = try write(
            dir, [Self.batch(0..<1000)], mode: .replace(.simpleCopy),
            options: DeltaWriteOptions(targetFileBytes: 32 << 10, transactionVersion: RunClock.next()))
        _ = try write(dir, [Self.batch(500..<600)], mode: .replace(.simpleCopy))
        var out = try read(dir)
        #expect(out["version"] as? Int == 1)
        expectRows(out, Self.canonical(Self.batch(500..<600)))
        // Merge: rows 550..<650 arrive again with new values (shifted names); 600..<650 are new.
        var changed = Self.batch(550..<650)
        var names = ColumnVector(kind: .bytes)
        for r in 0..<changed.rowCount { names.append(string: "merged \(550 + r)") }
        changed.vectors[11] = names
        #expect(try write(dir, [changed], mode: .upsert(key: ["id"])) == 100)
        out = try read(dir)
        #expect(out["version"] as? Int == 2)
        let expected = Self.canonical(Self.batch(500..<550)) + Self.canonical(changed)
        expectRows(out, expected)
    }

    @Test func mergeRewritesOnlyFilesWhoseKeyRangeCanHoldTheKeys() throws {
        let dir = TempDirectory("delta-dst")
        let options = DeltaWriteOptions(targetFileBytes: 1, transactionVersion: RunClock.next())  // one file per batch
        _ = try write(dir, (0..<10).map { Self.batch(($0 * 100)..<($0 * 100 + 100)) }, mode: .append, options: options)
        _ = try write(dir, [Self.batch(250..<260)], mode: .upsert(key: ["id"]))
        let log = try String(contentsOfFile: dir.file("t/_delta_log/00000000000000000001.json"), encoding: .utf8)
        #expect(log.components(separatedBy: "\"remove\"").count - 1 == 1)
        expectRows(try read(dir), Self.canonical(Self.batch(0..<1000)))
    }

    @Test func aRetriedCommitOfTheSameRunIsNotAppliedTwice() throws {
        let dir = TempDirectory("delta-dst")
        let options = DeltaWriteOptions(transactionVersion: 100_000_000, runId: "run-a")
        _ = try write(dir, [Self.batch(0..<10)], mode: .append, options: options)
        _ = try write(dir, [Self.batch(0..<10)], mode: .append, options: options)
        let out = try read(dir)
        #expect((out["rows"] as? [[String]])?.count == 10)
        #expect(out["version"] as? Int == 0)
        _ = try write(
            dir, [Self.batch(10..<20)], mode: .append, options: DeltaWriteOptions(transactionVersion: 100_000_001))
        #expect((try read(dir)["rows"] as? [[String]])?.count == 20)
        // Another run with an older version (a clock moved back) is refused, never silently skipped.
        #expect {
            _ = try write(
                dir, [Self.batch(20..<30)], mode: .append,
                options: DeltaWriteOptions(transactionVersion: 99, runId: "run-c"))
        } throws: { error in
            (error as? FerryError)?.code == .integrity && "\(error)".contains("clock")
        }
        #expect((try read(dir)["rows"] as? [[String]])?.count == 20)
    }

    @Test func watermarkAndRowCountComeFromTheLog() throws {
        let dir = TempDirectory("delta-dst")
        _ = try write(dir, [Self.batch(0..<123)], mode: .append)
        let w = try DeltaDestination(root: dir.path).openWriter(TableName(name: "t"))
        defer { w.close() }
        #expect(try w.rowCount() == 123)
        #expect(try w.maxValue(of: "id", type: .int64) == .int(122))
        let ts = Self.batch(0..<123).vectors[18]
        let maxTs = (0..<123).filter { !ts.isNull($0) }.map { ts.int64(at: $0) }.max()!
        #expect(try w.maxValue(of: "utc_ts", type: .timestampTZ) == .timestamp(maxTs, zoned: true))
        #expect(try w.existingSchema()?.columns.map(\.type) == Self.columns.map(\.type))
        #expect(try w.existingSchema()?.primaryKey == ["id"])
    }
}

@Suite struct DeltaPartitionTests {
    @Test func partitionedTablesReadBackAndMergeWithinPartitions() throws {
        let dir = TempDirectory("delta-part")
        let columns = [
            Column(name: "id", type: .int64, nullable: false), Column(name: "day", type: .date),
            Column(name: "region", type: .text), Column(name: "amount", type: .decimal(precision: 10, scale: 2)),
        ]
        func batch(_ ids: Range<Int>, tag: String = "") -> RecordBatch {
            var b = RecordBatch(columns: columns, capacity: ids.count)
            for i in ids {
                b.vectors[0].append(Int64(i))
                b.vectors[1].append(Int64(19_000 + i % 3))
                if i % 5 == 0 { b.vectors[2].appendNull() } else { b.vectors[2].append(string: "r \(i % 2)/ü:\(tag)") }
                b.vectors[3].append(decimal: Int128(i * 100 + 1))
            }
            return b
        }
        for (mode, rows) in [
            (WriteMode.replace(.simpleCopy), batch(0..<60)), (.upsert(key: ["id"]), batch(50..<70, tag: "x")),
        ] {
            // Each write is a separate run, with its own txn version.
            let destination = DeltaDestination(
                root: dir.path, options: DeltaWriteOptions(transactionVersion: RunClock.next()),
                partitions: ["t": ["day", "region"]])
            let w = try destination.openWriter(TableName(name: "t"))
            try w.begin(schema: TableSchema(columns: columns, primaryKey: ["id"]), mode: mode)
            try w.write(rows)
            _ = try w.commit()
            w.close()
        }
        let out =
            try Python.json(
                """
                import sys, json
                from deltalake import DeltaTable
                dt = DeltaTable(sys.argv[1])
                rows = sorted(dt.to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
                print(json.dumps({"parts": dt.metadata().partition_columns, "n": len(rows),
                                  "rows": [[r["id"], str(r["day"]), r["region"], str(r["amount"])] for r in rows]}))
                """, [dir.file("t")]) as? [String: Any]
        #expect(out?["parts"] as? [String] == ["day", "region"])
        #expect(out?["n"] as? Int == 70)
        let rows = out?["rows"] as? [[Any]] ?? []
        #expect(rows.count == 70)
        if rows.count == 70 {
            #expect(rows[3][1] as? String == "2022-01-08")
            #expect(rows[3][2] as? String == "r 1/ü:")
            #expect(rows[5][2] is NSNull)
            #expect(rows[56][2] as? String == "r 0/ü:x")
            #expect(rows[49][2] as? String == "r 1/ü:")
            #expect(rows[69][3] as? String == "69.01")
        }
    }
}
