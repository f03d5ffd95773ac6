import FerryCore
import FerryDelta
import FerryTestKit
import Foundation
import Testing

/// What a Delta write leaves behind when it fails, and the corners of merge keys and vacuum.
@Suite struct WriteFailureTests {
    static let schema = TableSchema(
        columns: [Column(name: "id", type: .int64, nullable: false), Column(name: "name", type: .text)],
        primaryKey: ["id"])

    static func batch(_ ids: Range<Int>, name: String) -> RecordBatch {
        var b = RecordBatch(columns: schema.columns, capacity: ids.count)
        for id in ids {
            b.vectors[0].append(Int64(id))
            b.vectors[1].append(string: "\(name)\(id)")
        }
        return b
    }

    func writer(_ dir: TempDirectory, options: DeltaWriteOptions = DeltaWriteOptions()) throws -> any TableWriter {
        var options = options
        options.transactionVersion = RunClock.next()
        return try DeltaDestination(root: dir.path, options: options).openWriter(TableName(name: "t"))
    }

    /// The Parquet files under the table, relative to it.
    func partFiles(_ dir: TempDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.file("t")).filter { $0.hasSuffix(".parquet") }.sorted()
    }

    /// Cuts the table's only data file to half its size.
    func truncateTheDataFile(_ dir: TempDirectory) throws -> String {
        let name = try #require(try partFiles(dir).first)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("t/" + name)))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size / 2)
        try handle.close()
        return name
    }

    @Test func anUpsertThatCannotReadATargetFileRemovesThePartFilesItWrote() throws {
        let dir = TempDirectory("delta-fail")
        let first = try writer(dir)
        try first.begin(schema: Self.schema, mode: .append)
        try first.write(Self.batch(0..<100, name: "old"))
        _ = try first.commit()
        first.close()
        let damaged = try truncateTheDataFile(dir)

        let upsert = try writer(dir, options: DeltaWriteOptions(targetFileBytes: 1))
        defer { upsert.close() }
        try upsert.begin(schema: Self.schema, mode: .upsert(key: ["id"]))
        // A tiny target size closes a file per batch, so the failing commit has several files of its own to undo.
        for start in stride(from: 50, to: 150, by: 25) {
            try upsert.write(Self.batch(start..<(start + 25), name: "new"))
        }
        #expect(try partFiles(dir).count > 1)
        do throws(FerryError) {
            _ = try upsert.commit()
            Issue.record("the merge read a truncated file and still committed")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains(damaged), "\(error)")
            #expect(!error.message.contains("ParquetError"), "\(error)")
        }
        upsert.abort()
        #expect(try partFiles(dir) == [damaged])
    }

    @Test func aChangeSetThatCannotReadATargetFileRemovesThePartFilesItWrote() throws {
        let dir = TempDirectory("delta-fail")
        let first = try writer(dir)
        try first.begin(schema: Self.schema, mode: .append)
        try first.write(Self.batch(0..<100, name: "old"))
        _ = try first.commit()
        first.close()
        let damaged = try truncateTheDataFile(dir)

        // Copy-on-write: the new rows are written while the file holding the old ones is rewritten.
        let w = try #require(try writer(dir, options: DeltaWriteOptions(deletionVectors: false)) as? any ChangeWriter)
        let changes = (95..<110).map { id in
            RowChange(kind: .insert, row: [.int(Int64(id)), .text("cdc\(id)")], oldKey: [.int(Int64(id))])
        }
        #expect(throws: FerryError.self) {
            try w.apply(
                ChangeSet.fold(changes, keyIndexes: [0]), schema: Self.schema, position: LSN(rawValue: 7), pipeline: "p"
            )
        }
        #expect(try partFiles(dir) == [damaged])
    }

    @Test func aCommitIsCheckedAgainstTheSnapshotBeginReadAndLeavesNoFilesWhenItConflicts() throws {
        let dir = TempDirectory("delta-fail")
        let first = try writer(dir)
        try first.begin(schema: Self.schema, mode: .append)
        try first.write(Self.batch(0..<10, name: "old"))
        _ = try first.commit()
        first.close()
        let before = try partFiles(dir)

        let merge = try writer(dir)
        defer { merge.close() }
        try merge.begin(schema: Self.schema, mode: .upsert(key: ["id"]))
        try merge.write(Self.batch(5..<15, name: "merged"))
        // Another writer (another application) adds rows, and the merging writer reads the newer table before it
        // commits.
        let other = try writer(dir, options: DeltaWriteOptions(applicationId: "other"))
        try other.begin(schema: Self.schema, mode: .append)
        try other.write(Self.batch(20..<30, name: "other"))
        _ = try other.commit()
        other.close()
        #expect(try merge.rowCount() == 20)
        do throws(FerryError) {
            _ = try merge.commit()
            Issue.record("a merge planned before another writer's commit landed on top of it")
        } catch {
            #expect(error.isTransient, "\(error)")
            #expect(error.message.contains("run again"), "\(error)")
        }
        // Left: the first file and the other writer's; the merge's own are gone.
        let left = try partFiles(dir)
        #expect(left.count == before.count + 1 && Set(before).isSubset(of: Set(left)), "\(left)")
    }

    @Test func aTextKeySpellingTheOldNullStandInReplacesNeitherItselfNorTheNullKey() throws {
        let schema = TableSchema(columns: [
            Column(name: "code", type: .text), Column(name: "name", type: .text),
        ])
        func rows(_ pairs: [(String?, String)]) -> RecordBatch {
            var b = RecordBatch(columns: schema.columns, capacity: pairs.count)
            for (code, name) in pairs {
                if let code { b.vectors[0].append(string: code) } else { b.vectors[0].appendNull() }
                b.vectors[1].append(string: name)
            }
            return b
        }
        func upsert(_ dir: TempDirectory, _ pairs: [(String?, String)]) throws -> Int64 {
            let w = try writer(dir)
            defer { w.close() }
            try w.begin(schema: schema, mode: .upsert(key: ["code"]))
            try w.write(rows(pairs))
            _ = try w.commit()
            return try w.rowCount()
        }
        let dir = TempDirectory("delta-nullkey")
        #expect(try upsert(dir, [(nil, "no code"), ("a", "a")]) == 2)
        // Ferry used to stand for NULL with this very text, so it replaced the NULL row.
        #expect(try upsert(dir, [("\u{0}NULL", "looks like the stand-in")]) == 3)
        // NULL keys still match each other: the NULL row is replaced, not duplicated.
        #expect(try upsert(dir, [(nil, "no code again")]) == 3)
    }

    @Test func vacuumThroughTheDestinationDeletesOnlyWhatTheLogNoLongerNames() throws {
        let dir = TempDirectory("delta-vacuum")
        let destination = DeltaDestination(root: dir.path)
        let missing = try destination.vacuum(TableName(name: "t"), retention: 0, dryRun: false)
        #expect(!missing.exists && missing.files.isEmpty && missing.path == dir.file("t"))

        let w = try writer(dir)
        try w.begin(schema: Self.schema, mode: .append)
        try w.write(Self.batch(0..<10, name: "kept"))
        _ = try w.commit()
        w.close()
        let live = try partFiles(dir)
        try Data("orphan".utf8).write(to: URL(fileURLWithPath: dir.file("t/part-orphan.parquet")))
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: dir.file("t/part-orphan.parquet"))

        let planned = try destination.vacuum(TableName(name: "t"), retention: 60, dryRun: true)
        #expect(planned.exists && planned.files == ["part-orphan.parquet"])
        #expect(try partFiles(dir).count == live.count + 1)
        let deleted = try destination.vacuum(TableName(name: "t"), retention: 60, dryRun: false)
        #expect(deleted.files == ["part-orphan.parquet"])
        #expect(try partFiles(dir) == live)
    }
}
