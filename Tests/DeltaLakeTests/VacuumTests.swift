import DeltaLake
import FerryTestKit
import Foundation
import Testing

@Suite struct VacuumTests {
    func touch(_ path: String, age: TimeInterval) throws {
        _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
    }

    @Test func deletesOnlyUnreferencedFilesOlderThanTheRetention() throws {
        let dir = TempDirectory("vacuum")
        let table = DeltaTable(store: LocalLogStore(root: dir.path), engineInfo: "test")
        try table.create(schema: StructType(fields: [StructField(name: "id", type: .long)]))
        let day: TimeInterval = 86_400
        for name in [
            "live.parquet", "removed-long-ago.parquet", "removed-recently.parquet", "orphan-old.parquet",
            "orphan-new.parquet",
        ] {
            try touch(dir.file(name), age: 30 * day)
        }
        try touch(dir.file("orphan-new.parquet"), age: 60)
        let adds = ["live.parquet", "removed-long-ago.parquet", "removed-recently.parquet"].map {
            Action.add(AddFile(path: $0, size: 1, modificationTime: 0))
        }
        _ = try table.commit(DeltaTable.Commit(actions: adds, operation: "WRITE", readVersion: 0))
        let old = Int64(Date().addingTimeInterval(-10 * day).timeIntervalSince1970 * 1000)
        let recent = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try table.commit(
            DeltaTable.Commit(
                actions: [
                    .remove(RemoveFile(path: "removed-long-ago.parquet", deletionTimestamp: old)),
                    .remove(RemoveFile(path: "removed-recently.parquet", deletionTimestamp: recent)),
                ], operation: "DELETE", readVersion: 1))
        let vacuum = Vacuum(table: table, retention: 7 * day)
        #expect(try vacuum.plan() == ["orphan-old.parquet", "removed-long-ago.parquet"])
        try vacuum.run()
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".parquet") }
            .sorted()
        #expect(left == ["live.parquet", "orphan-new.parquet", "removed-recently.parquet"])
        #expect(FileManager.default.fileExists(atPath: dir.file("_delta_log/00000000000000000000.json")))
    }
}
