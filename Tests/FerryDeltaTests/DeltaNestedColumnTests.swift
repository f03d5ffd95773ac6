import DeltaLake
import FerryCore
import FerryTestKit
import Foundation
import Testing

@testable import FerryDelta

/// Lists and structures (PostgreSQL arrays and composites) in Delta tables: Delta `array` and `struct` columns
/// that delta-rs, polars and Ferry's own reader read back as lists and structs, through loads and merges; and a
/// text-carried type (an interval) that keeps its native type in the field metadata.
@Suite struct DeltaNestedColumnTests {
    static let address = ColumnType.structure([
        FerryCore.StructField(name: "street", type: .text), FerryCore.StructField(name: "number", type: .int32),
        FerryCore.StructField(name: "score", type: .float64),
    ])

    static let schema = TableSchema(
        columns: [
            Column(name: "id", type: .int64, nullable: false), Column(name: "ints", type: .list(.int32)),
            Column(name: "tags", type: .list(.text)), Column(name: "addr", type: address),
            Column(name: "span", type: .text, nativeType: "interval"),
        ], primaryKey: ["id"])

    /// Row `id`, `version` telling updates apart: NULL arrays, empty arrays, NULL elements, NULL structs and
    /// NULL fields all occur.
    static func row(_ id: Int, version: Int = 0) -> [ScalarValue?] {
        let v = Int64(version * 1000)
        let ints: ScalarValue? =
            switch id % 5 {
            case 0: nil
            case 1: .list([])
            default: .list([.int(Int64(id) + v), nil, .int(-Int64(id))])
            }
        let tags: ScalarValue? =
            id % 4 == 0
            ? nil : .list([.text("a\(id)-\(version)"), id % 3 == 0 ? nil : .text("ü \"q\", {x}"), .text("")])
        let addr: ScalarValue? =
            id % 6 == 0
            ? nil
            : .structure([id % 2 == 0 ? nil : .text("street \(id)"), .int(Int64(id) + v), .double(Double(id) / 4)])
        let span: ScalarValue? = id % 7 == 0 ? nil : .text("\(id) days 0\(version):30:00")
        return [.int(Int64(id)), ints, tags, addr, span]
    }

    /// The row as JSON would have it (lists as arrays, structs as objects, NULL as NSNull), for the Python readers.
    static func json(_ row: [ScalarValue?]) -> NSDictionary {
        func plain(_ value: ScalarValue?, _ type: ColumnType) -> Any {
            guard let value else { return NSNull() }
            switch (value, type) {
            case (.int(let i), _): return NSNumber(value: i)
            case (.double(let d), _): return NSNumber(value: d)
            case (.text(let s), _): return s
            case (.list(let items), .list(let element)): return items.map { plain($0, element) }
            case (.structure(let fields), .structure(let types)):
                var out: [String: Any] = [:]
                for (field, type) in zip(fields, types) { out[type.name] = plain(field, type.type) }
                return out
            default: return "\(value)"
            }
        }
        var out: [String: Any] = [:]
        for (value, column) in zip(row, schema.columns) { out[column.name] = plain(value, column.type) }
        return out as NSDictionary
    }

    /// Every row through delta-rs (its DataFusion reader when the table has deletion vectors) and through
    /// polars, as JSON sorted by id.
    static let readers =
        Python.readDelta + """
            import sys, json
            import polars as pl
            path = sys.argv[1]
            def rows(records):
                return sorted(records, key=lambda r: r["id"])
            delta = rows(read_delta(path).to_pylist())
            polars = rows(pl.read_delta(path).to_dicts())
            from deltalake import DeltaTable
            fields = {f.name: (str(f.type), f.metadata) for f in DeltaTable(path).schema().fields}
            print(json.dumps({"delta": delta, "polars": polars,
                              "types": {k: v[0] for k, v in fields.items()},
                              "metadata": {k: v[1] for k, v in fields.items()}}))
            """

    func read(_ dir: TempDirectory) throws -> [String: Any] {
        try Python.json(Self.readers, [dir.file("t")]) as? [String: Any] ?? [:]
    }

    /// Checks the rows every reader sees against `expected`, in any order.
    func expectRows(
        _ dir: TempDirectory, _ expected: [[ScalarValue?]], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let rows = expected.sorted { ($0[0]?.int ?? 0) < ($1[0]?.int ?? 0) }
        let wanted = rows.map(Self.json)
        let out = try read(dir)
        for reader in ["delta", "polars"] {
            let got = out[reader] as? [NSDictionary] ?? []
            #expect(got.count == wanted.count, "\(reader) row count", sourceLocation: sourceLocation)
            if let i = zip(got, wanted).enumerated().first(where: { !$0.element.0.isEqual($0.element.1) })?.offset {
                Issue.record("\(reader) row \(i): \(got[i]) != \(wanted[i])", sourceLocation: sourceLocation)
            }
        }
        // Ferry's own reader: every live row of every file, as the merges and compaction read them.
        let ours = try ferryRows(dir).sorted { ($0[0]?.int ?? 0) < ($1[0]?.int ?? 0) }
        #expect(ours.count == rows.count, "Ferry row count", sourceLocation: sourceLocation)
        if let i = zip(ours, rows).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("Ferry row \(i): \(ours[i]) != \(rows[i])", sourceLocation: sourceLocation)
        }
    }

    func ferryRows(_ dir: TempDirectory) throws -> [[ScalarValue?]] {
        let store = LocalLogStore(root: dir.file("t"))
        let snapshot = try DeltaTable(store: store, engineInfo: "test").snapshot()
        let files = DeltaTableFiles(path: dir.file("t"), label: "t", options: DeltaWriteOptions(), store: store)
        var rows: [[ScalarValue?]] = []
        for file in snapshot.files.values {
            let reader = try DataFileReader(file, table: files)
            for group in 0..<reader.rowGroupCount {
                let batch = try reader.readLiveRowGroup(group, columns: Self.schema.columns)
                for r in 0..<batch.rowCount {
                    rows.append(
                        zip(batch.vectors, batch.columns).map { ScalarValue(vector: $0, row: r, type: $1.type) })
                }
            }
        }
        return rows
    }

    func load(_ dir: TempDirectory, _ ids: Range<Int>, options: DeltaWriteOptions = DeltaWriteOptions()) throws {
        let w = try DeltaDestination(root: dir.path, options: options).openWriter(TableName(name: "t"))
        defer { w.close() }
        try w.begin(schema: Self.schema, mode: .append)
        let rows = ids.map { Self.row($0) }
        try ChangeSet.batches(rows, indexes: Array(0..<5), of: Self.schema, batchSize: 100, table: "t") {
            (b: RecordBatch) throws(FerryError) in try w.write(b)
        }
        _ = try w.commit()
    }

    @Test func arraysAndStructsLandAsDeltaArraysAndStructs() throws {
        let dir = TempDirectory("delta-nested")
        // Small row groups and files: lists cut across pages, row groups and files.
        try load(dir, 0..<3000, options: DeltaWriteOptions(targetFileBytes: 48 << 10, rowGroupBytes: 8 << 10))
        try expectRows(dir, (0..<3000).map { Self.row($0) })
        let out = try read(dir)
        let types = out["types"] as? [String: String] ?? [:]
        #expect(types["ints"]?.contains("ArrayType") == true, "\(types)")
        #expect(types["addr"]?.contains("StructType") == true, "\(types)")
        let metadata = out["metadata"] as? [String: [String: String]] ?? [:]
        #expect(metadata["span"]?["ferry.type"] == "interval")
        // The schema string: arrays of nullable elements, structs of nullable fields; no stats for nested columns.
        let snapshot = try DeltaTable(store: LocalLogStore(root: dir.file("t")), engineInfo: "test").snapshot()
        let schema = try snapshot.schema
        #expect(schema.field(named: "ints")?.type == .array(element: .integer, containsNull: true))
        #expect(schema.field(named: "tags")?.type == .array(element: .string, containsNull: true))
        guard case .struct(let fields)? = schema.field(named: "addr")?.type else {
            Issue.record("addr is not a struct")
            return
        }
        #expect(fields.fields.map(\.name) == ["street", "number", "score"])
        #expect(fields.fields.allSatisfy { $0.nullable })
        let stats = try #require(snapshot.files.values.first?.stats)
        #expect(stats.contains("\"id\""))
        #expect(!stats.contains("\"ints\"") && !stats.contains("\"addr\""))
        // Ferry reads its own schema back: the nested types, and the interval as text with its native type.
        let w = try DeltaDestination(root: dir.path).openWriter(TableName(name: "t"))
        defer { w.close() }
        let existing = try #require(try w.existingSchema())
        #expect(existing.columns.map(\.type) == Self.schema.columns.map(\.type))
        #expect(existing.column(named: "span")?.nativeType == "interval")
    }

    /// A CDC-style merge: updates that send every column, updates that leave the nested columns unchanged
    /// (TOAST), deletes and inserts; untouched rows keep their nested values. Eleven small batches also make
    /// the merge-on-read writer compact its files, reading and rewriting the nested columns.
    @Test(arguments: [true, false])
    func mergesKeepNestedValues(deletionVectors: Bool) throws {
        let dir = TempDirectory("delta-nested-merge")
        try load(dir, 0..<400)
        let w =
            try DeltaDestination(root: dir.path, options: DeltaWriteOptions(deletionVectors: deletionVectors))
            .openWriter(TableName(name: "t")) as! any TableWriter & ChangeWriter
        defer { w.close() }
        var expected = [Int: [ScalarValue?]](uniqueKeysWithValues: (0..<400).map { ($0, Self.row($0)) })
        var position: UInt64 = 100
        for batch in 1...11 {
            var set = ChangeSet()
            // Full updates of ten rows, a new row, a delete.
            let updated = (0..<10).map { batch * 30 + $0 } + [1000 + batch]
            set.upserts[[]] = updated.map { Self.row($0, version: batch) }
            for id in updated { expected[id] = Self.row(id, version: batch) }
            let deleted = batch * 7 + 1
            set.deletes = [[.int(Int64(deleted))]]
            expected[deleted] = nil
            // An update of the span only: ints, tags and addr (1, 2, 3) come from the old row.
            let toasted = 399 - batch
            if var row = expected[toasted] {
                row[4] = .text("changed \(batch)")
                set.upserts[[1, 2, 3]] = [[row[0], nil, nil, nil, row[4]]]
                expected[toasted] = row
            }
            position += 10
            #expect(try w.apply(set, schema: Self.schema, position: LSN(rawValue: position), pipeline: "p"))
        }
        try expectRows(dir, Array(expected.values))
        let operations = try commitOperations(dir)
        if deletionVectors { #expect(operations.contains("OPTIMIZE"), "\(operations)") }
    }

    func commitOperations(_ dir: TempDirectory) throws -> [String] {
        let log = dir.file("t") + "/_delta_log"
        let names = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".json") }.sorted()
        return try names.compactMap { name -> String? in
            let text = try String(contentsOfFile: log + "/" + name, encoding: .utf8)
            guard let range = text.range(of: "\"operation\":\"") else { return nil }
            return String(text[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test func aNestedKeyIsRefused() throws {
        let dir = TempDirectory("delta-nested-key")
        let w = try DeltaDestination(root: dir.path).openWriter(TableName(name: "t"))
        defer { w.close() }
        let keyed = TableSchema(columns: Self.schema.columns, primaryKey: ["ints"])
        let error = #expect(throws: FerryError.self) { try w.begin(schema: keyed, mode: .append) }
        #expect(error?.message.contains("key column ints is nested") == true)
    }
}

extension ScalarValue {
    fileprivate var int: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }
}
