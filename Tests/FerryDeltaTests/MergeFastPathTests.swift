import DeltaLake
import FerryCore
import FerryTestKit
import Foundation
import Parquet
import Testing

@testable import FerryDelta

/// The merge's fast paths (integer keys, bulk column conversion and filtering, files rewritten in parallel) against
/// the general ones they stand in for.
@Suite struct MergeFastPathTests {
    /// How the key of the test table is shaped: one integer column (the fast path), one text column, or an integer
    /// and a text column (both through `[ScalarValue]` keys).
    enum KeyShape: CaseIterable {
        case integer, text, composite

        var schema: TableSchema {
            let id = Column(name: "id", type: self == .text ? .text : .int64, nullable: false)
            let rest = [
                Column(name: "part", type: .text, nullable: false), Column(name: "name", type: .text),
                Column(name: "big", type: .text), Column(name: "ref", type: .uuid),
            ]
            return TableSchema(columns: [id] + rest, primaryKey: self == .composite ? ["id", "part"] : ["id"])
        }

        func key(_ id: Int) -> ScalarValue { self == .text ? .text(String(id)) : .int(Int64(id)) }
    }

    static func uuid(_ id: Int) -> String { String(format: "%08x-0000-4000-8000-%012x", id, id * 7) }

    static func row(_ shape: KeyShape, _ id: Int, name: String?, big: String?) -> [ScalarValue?] {
        [shape.key(id), .text("p"), name.map { .text($0) }, big.map { .text($0) }, .text(Self.uuid(id))]
    }

    static func change(
        _ shape: KeyShape, _ kind: RowChange.Kind, _ id: Int, name: String? = nil, big: String? = nil,
        unchanged: Set<Int> = []
    ) -> RowChange {
        let key: [ScalarValue?] = shape == .composite ? [shape.key(id), .text("p")] : [shape.key(id)]
        return RowChange(
            kind: kind, row: kind == .delete ? nil : row(shape, id, name: name, big: big), unchanged: unchanged,
            oldKey: key)
    }

    /// A change writer on a table under `dir`, merge-on-read or copy-on-write.
    func writer(_ dir: TempDirectory, deletionVectors: Bool) throws -> any TableWriter & ChangeWriter {
        try DeltaDestination(root: dir.path, options: DeltaWriteOptions(deletionVectors: deletionVectors))
            .openWriter(TableName(name: "t")) as! any TableWriter & ChangeWriter
    }

    /// Four applies of 50 inserts (ids 0..<200), one file each, named by `name`.
    func loadFourFiles(_ w: any ChangeWriter, _ shape: KeyShape, name: (Int) -> String) throws {
        for file in 0..<4 {
            let changes = ((file * 50)..<(file * 50 + 50)).map { id in
                Self.change(shape, .insert, id, name: name(id), big: "b")
            }
            #expect(
                try w.apply(
                    ChangeSet.fold(changes, keyIndexes: [0]), schema: shape.schema,
                    position: LSN(rawValue: UInt64(file + 1)), pipeline: "p"))
        }
    }

    /// Four applies of 50 rows (ids 0..<200, one file each), then one touching every file: updates, an update
    /// leaving `big` unchanged (TOAST), deletes and new rows. Returns the rows as delta-rs reads them, keys as
    /// text, by id.
    func mergeResult(_ shape: KeyShape, deletionVectors: Bool) throws -> [[String]] {
        let dir = TempDirectory("delta-fast")
        let w = try writer(dir, deletionVectors: deletionVectors)
        defer { w.close() }
        let keyIndexes = shape == .composite ? [0, 1] : [0]
        for file in 0..<4 {
            let changes = ((file * 50)..<(file * 50 + 50)).map { id in
                Self.change(shape, .insert, id, name: "n\(id)", big: "big\(id)")
            }
            let set = ChangeSet.fold(changes, keyIndexes: keyIndexes)
            #expect(try w.apply(set, schema: shape.schema, position: LSN(rawValue: UInt64(file + 1)), pipeline: "p"))
        }
        var changes: [RowChange] = []
        for id in stride(from: 3, to: 200, by: 17) {
            changes.append(Self.change(shape, .update, id, name: "u\(id)", big: "new"))
        }
        for id in stride(from: 5, to: 200, by: 23) {
            changes.append(Self.change(shape, .update, id, name: "t\(id)", unchanged: [3]))
        }
        for id in stride(from: 11, to: 200, by: 31) { changes.append(Self.change(shape, .delete, id)) }
        for id in 300..<310 { changes.append(Self.change(shape, .insert, id, name: "i\(id)", unchanged: [3])) }
        let set = ChangeSet.fold(changes, keyIndexes: keyIndexes)
        #expect(try w.apply(set, schema: shape.schema, position: LSN(rawValue: 10), pipeline: "p"))
        let out = try Python.json(DeltaDestinationTests.reader, [dir.file("t")]) as? [String: Any] ?? [:]
        let rows = out["rows"] as? [[String]] ?? []
        return rows.sorted { (Int($0[0]) ?? 0) < (Int($1[0]) ?? 0) }
    }

    /// Copy-on-write (rewrites) and merge-on-read (deletion vectors; integer keys through the key index, the
    /// others by scanning key columns) give the same rows.
    @Test(arguments: [false, true])
    func integerTextAndCompositeKeysMergeToTheSameRows(deletionVectors: Bool) throws {
        let integer = try mergeResult(.integer, deletionVectors: deletionVectors)
        #expect(integer.count == 200 - 7 + 10)
        // TOAST columns of updated rows come from the dropped row; of new rows, NULL.
        #expect(integer.first { $0[0] == "5" } == ["5", "p", "t5", "big5", Self.uuid(5)])
        #expect(integer.first { $0[0] == "3" } == ["3", "p", "u3", "new", Self.uuid(3)])
        #expect(integer.first { $0[0] == "300" } == ["300", "p", "i300", "None", Self.uuid(300)])
        #expect(!integer.contains { $0[0] == "11" })
        #expect(try mergeResult(.text, deletionVectors: deletionVectors) == integer)
        #expect(try mergeResult(.composite, deletionVectors: deletionVectors) == integer)
    }

    @Test func aFailedFileLeavesNoRewrittenFilesOfTheOthers() throws {
        let dir = TempDirectory("delta-fast")
        let shape = KeyShape.integer
        let w = try writer(dir, deletionVectors: false)
        defer { w.close() }
        try loadFourFiles(w, shape, name: { _ in "n" })
        let parquet = { () -> Set<String> in
            Set((try? FileManager.default.contentsOfDirectory(atPath: dir.file("t"))) ?? []).filter {
                $0.hasSuffix(".parquet")
            }
        }
        let before = parquet()
        #expect(before.count == 4)
        // One file of the four is unreadable: whatever the others' rewrites wrote meanwhile is deleted.
        guard let broken = before.min() else { return }
        try Data("not parquet".utf8).write(to: URL(fileURLWithPath: dir.file("t/\(broken)")))
        let updates = stride(from: 0, to: 200, by: 10).map { id in
            Self.change(shape, .update, id, name: "u", big: "b")
        }
        #expect(throws: FerryError.self) {
            try w.apply(
                ChangeSet.fold(updates, keyIndexes: [0]), schema: shape.schema, position: LSN(rawValue: 9),
                pipeline: "p")
        }
        #expect(parquet() == before)
        #expect(try w.appliedPosition(pipeline: "p") == LSN(rawValue: 4))
    }

    @Test func newRowsWrittenAlongsideTheRewritesLandWithThem() throws {
        let dir = TempDirectory("delta-fast")
        let shape = KeyShape.integer
        let w = try writer(dir, deletionVectors: false)
        defer { w.close() }
        try loadFourFiles(w, shape, name: { "n\($0)" })
        // No unchanged columns: the new rows need nothing from the dropped ones and are written meanwhile.
        var changes = stride(from: 0, to: 200, by: 9).map { Self.change(shape, .update, $0, name: "u\($0)", big: "b") }
        changes += stride(from: 4, to: 200, by: 50).map { Self.change(shape, .delete, $0) }
        changes += (500..<505).map { Self.change(shape, .insert, $0, name: "i\($0)", big: "b") }
        #expect(
            try w.apply(
                ChangeSet.fold(changes, keyIndexes: [0]), schema: shape.schema, position: LSN(rawValue: 5),
                pipeline: "p"))
        let out = try Python.json(DeltaDestinationTests.reader, [dir.file("t")]) as? [String: Any] ?? [:]
        let rows = (out["rows"] as? [[String]] ?? []).map { Array($0.prefix(3)) }
        var expected: [[String]] = (0..<200).filter { $0 % 50 != 4 }.map { id in
            ["\(id)", "p", id % 9 == 0 ? "u\(id)" : "n\(id)"]
        }
        expected += (500..<505).map { ["\($0)", "p", "i\($0)"] }
        #expect(rows == expected)
    }

    @Test func integerKeysTakeTheFastPathOnlyWhenEveryKeyReadsBackTheSame() {
        let ts = [Column(name: "k", type: .timestampTZ, nullable: false)]
        let zoned = KeyMatcher(keys: [[.timestamp(5, zoned: true)]], capture: [:], keyColumns: ["k"], columns: ts)
        guard case .int64(let ints, _) = zoned.keys else {
            Issue.record("timestamptz keys should be integers")
            return
        }
        #expect(ints == [5])
        // A key that no row can read back as (wrong zone flag, NULL, text) keeps the general path and its answer.
        for odd: ScalarValue in [.timestamp(5, zoned: false), MergeRewriter.nullKey(for: .timestampTZ), .text("5")] {
            let m = KeyMatcher(keys: [[odd]], capture: [:], keyColumns: ["k"], columns: ts)
            guard case .general = m.keys else {
                Issue.record("\(odd) took the integer path")
                continue
            }
        }
        // Every type of integer storage: the value read back from a vector maps to the stored integer.
        for type: ColumnType in [.int16, .int32, .int64, .time, .date, .timestamp, .timestampTZ] {
            var vector = ColumnVector(kind: .int64)
            vector.append(Int64(42))
            let read = ScalarValue(vector: vector, row: 0, type: type)
            #expect(read.flatMap { KeyMatcher.integer($0, type: type) } == 42, "\(type)")
        }
        let composite = [Column(name: "a", type: .int64), Column(name: "b", type: .int64)]
        let both = KeyMatcher(keys: [[.int(1), .int(2)]], capture: [:], keyColumns: ["a", "b"], columns: composite)
        guard case .general = both.keys else {
            Issue.record("a composite key took the integer path")
            return
        }
    }

    @Test func integerMatchingSkipsNullKeysAndCapturesByValue() {
        let columns = [Column(name: "k", type: .int64), Column(name: "v", type: .text)]
        var batch = RecordBatch(columns: columns, capacity: 4)
        for (k, v) in [(Int64?.some(1), "a"), (nil, "b"), (3, "c"), (0, "d")] {
            if let k { batch.vectors[0].append(k) } else { batch.vectors[0].appendNull() }
            batch.vectors[1].append(string: v)
        }
        // 0 is the placeholder of the NULL slot: it must not match the NULL row.
        let m = KeyMatcher(
            keys: [[.int(0)], [.int(3)]], capture: [[.int(3)]: [1]], keyColumns: ["k"], columns: columns)
        #expect(m.droppedRows(of: batch) == [2, 3])
        #expect(m.capture(of: batch, row: 2).map { $0.0 } == [.int(3)])
        #expect(m.capture(of: batch, row: 2).map { $0.1 } == [1])
        #expect(m.capture(of: batch, row: 3) == nil)
    }

    @Test func aKeyBitmapHoldsExactlyItsKeys() {
        let keys: Set<Int64> = [-5, 0, 63, 64, 65, 200, 400]
        guard let bitmap = KeyBitmap(keys) else {
            Issue.record("dense keys got no bitmap")
            return
        }
        let wrong = (Int64(-100)...600).filter { bitmap.contains($0) != keys.contains($0) }
        #expect(wrong == [])
        #expect(!bitmap.contains(.min) && !bitmap.contains(.max))
        #expect(KeyBitmap([]) == nil)
        #expect(KeyBitmap([.min, .max]) == nil)
        #expect(KeyBitmap([1, 1 + 64 * 2]) == nil)
        #expect(KeyBitmap([Int64.max]) != nil)
    }

    @Test func filteringCopiesRunsAndKeepsAWholeBatchAsIs() {
        let batch = DeltaDestinationTests.batch(0..<50)
        let keep = (0..<50).map { $0 % 7 != 3 && !(20..<30).contains($0) }
        let filtered = batch.filtered(keep)
        let expected = DeltaDestinationTests.canonical(batch).enumerated().filter { keep[$0.offset] }.map(\.element)
        #expect(DeltaDestinationTests.canonical(filtered) == expected)
        #expect(batch.filtered([Bool](repeating: false, count: 50)).rowCount == 0)
        #expect(batch.filtered([Bool](repeating: true, count: 50)).vectors == batch.vectors)
    }

    @Test func uuidTextParsesAsUUIDTextDoesAndFormatsBack() {
        let texts = [
            "0f8fad5b-d9cb-469f-a165-70867728950e", "{0F8FAD5B-D9CB-469F-A165-70867728950E}",
            "0f8fad5bd9cb469fa16570867728950e", "",
        ]
        var column = BinaryArray()
        for t in texts { column.append(string: t) }
        let validity = [true, true, true, false]
        guard let bytes = ParquetMapping.uuidBytes(offsets: column.offsets, data: column.data, validity: validity)
        else {
            Issue.record("valid uuids rejected")
            return
        }
        for i in 0..<3 { #expect(Array(bytes[i]) == UUIDText.parse(texts[i])) }
        #expect(bytes[3].isEmpty)
        guard case .byteArray(let offsets, let data) = ParquetMapping.uuidText(bytes) else {
            Issue.record("uuid text is not a byte array")
            return
        }
        let back = (0..<4).map { String(decoding: data[offsets[$0]..<offsets[$0 + 1]], as: UTF8.self) }
        #expect(back == [texts[0], texts[0], texts[0], ""])
        for bad in ["0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b-d9cb-469f-a165-70867728950e0", "0f8fad5g"] {
            var one = BinaryArray()
            one.append(string: bad)
            #expect(ParquetMapping.uuidBytes(offsets: one.offsets, data: one.data, validity: [true]) == nil)
            #expect(UUIDText.parse(bad) == nil)
        }
    }
}
