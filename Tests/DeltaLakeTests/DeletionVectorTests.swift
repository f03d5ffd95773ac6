import FerryTestKit
import Foundation
import Testing

@testable import DeltaLake

@Suite struct DeletionVectorTests {
    // MARK: - In memory and serialized

    /// A set of rows to round-trip, named (the rows themselves are too long for test output).
    struct Rows: Sendable, CustomTestStringConvertible {
        var name: String
        var rows: [Int]
        var testDescription: String { name }
    }

    static let roundTripCases = [
        Rows(name: "empty", rows: []),
        Rows(name: "one row", rows: [0]),
        Rows(name: "dense, one bitset container", rows: Array(stride(from: 0, to: 10_000, by: 2))),
        Rows(name: "sparse, several containers", rows: [1, 65_535, 65_536, 70_000, 200_000, 1_000_000, 9_999_999]),
        Rows(name: "a range, one run container", rows: Array(100..<60_000)),
        Rows(name: "above 2^32, two buckets", rows: [5, 1 << 32, (1 << 32) + 7, (1 << 33) + 3 * 65_536]),
        Rows(name: "above the dense limit", rows: [1, (1 << 28) - 1, 1 << 28, (1 << 28) + 1, (1 << 39) + 12_345]),
    ]

    @Test(arguments: roundTripCases)
    func roundTrips(_ testCase: Rows) throws {
        let rows = testCase.rows
        let vector = DeletionVector(rows: rows.reversed() + rows)
        #expect(vector.cardinality == rows.count)
        #expect(vector.isEmpty == rows.isEmpty)
        #expect(vector.rows == rows)
        #expect(rows.allSatisfy(vector.contains))
        for row in [-1, 2, 3, 99, 65_537, (1 << 32) + 1, (1 << 28) + 2, 1 << 40, Int.max] where !rows.contains(row) {
            #expect(!vector.contains(row))
        }
        let decoded = try DeletionVector(serialized: vector.serialized())
        #expect(decoded == vector)
        #expect(decoded.rows == rows)
        #expect(decoded.cardinality == rows.count)
    }

    @Test func picksTheSmallestContainer() {
        // magic, bucket count, bucket key, cookie + count, key + cardinality, offset: 32 bytes before the data.
        #expect(DeletionVector(rows: [1, 3]).serialized().count == 32 + 2 * 2)
        #expect(DeletionVector(rows: stride(from: 0, to: 10_000, by: 2)).serialized().count == 32 + 8192)
        // With a run container the cookie holds the count and no offsets are written below four containers.
        let run = DeletionVector(rows: 100..<60_000).serialized()
        #expect(run.count == 4 + 8 + 4 + 4 + 1 + 4 + 2 + 4)
        #expect(Array(run[16..<18]) == [0x3B, 0x30])  // 12347
    }

    @Test func emptySerializesAsNoBuckets() {
        #expect(DeletionVector().serialized() == le32(1_681_511_377) + le64(0))
    }

    @Test func formUnionMergesDenseAndHighRows() {
        var a = DeletionVector(rows: [1, 5, 1 << 30])
        a.formUnion(DeletionVector(rows: [5, 70_000, (1 << 30) + 1, 1 << 35]))
        #expect(a.rows == [1, 5, 70_000, 1 << 30, (1 << 30) + 1, 1 << 35])
        #expect(a.cardinality == 6)
        #expect(a == DeletionVector(rows: a.rows))
    }

    // MARK: - Decoding hand-built Roaring bytes

    @Test func decodesRunContainersWithoutOffsets() throws {
        // Two containers (below NO_OFFSET_THRESHOLD): key 0 is runs 10...14 and 100, key 2 an array.
        let bitmap =
            le32(12347 | 1 << 16) + [0b01]
            + le16(0) + le16(6 - 1) + le16(2) + le16(2 - 1)
            + le16(2) + le16(10) + le16(4) + le16(100) + le16(0)
            + le16(5) + le16(9)
        let bytes = le32(1_681_511_377) + le64(1) + le32(0) + bitmap
        let vector = try DeletionVector(serialized: bytes)
        #expect(vector.rows == [10, 11, 12, 13, 14, 100, 2 << 16 + 5, 2 << 16 + 9])
        #expect(vector.cardinality == 8)
    }

    @Test func decodesRunContainersWithOffsets() throws {
        // Five containers, so the offset header is present: run, array, bitset, run, array; in bucket 1.
        let bitsetWords = (0..<1024).map { $0 < 64 ? UInt64.max : $0 == 64 ? UInt64(1) : 0 }  // 0...4096
        let data: [[UInt8]] = [
            le16(1) + le16(0) + le16(65_535),  // the whole container
            le16(7),
            bitsetWords.flatMap(le64),
            le16(2) + le16(65_530) + le16(1) + le16(65_534) + le16(0),
            le16(1) + le16(2) + le16(3),
        ]
        let keys: [UInt16] = [0, 1, 3, 4, 65_535]
        let cardinalities = [65_536, 1, 4097, 3, 3]
        var header = le32(12347 | 4 << 16) + [0b0_1001]
        for (key, cardinality) in zip(keys, cardinalities) { header += le16(key) + le16(UInt16(cardinality - 1)) }
        var offset = header.count + 4 * data.count
        for container in data {
            header += le32(UInt32(offset))
            offset += container.count
        }
        let bytes = le32(1_681_511_377) + le64(1) + le32(1) + header + data.joined()
        let vector = try DeletionVector(serialized: bytes)
        let bucket = 1 << 32
        let expected =
            Array(bucket..<bucket + 65_536) + [bucket + 65_536 + 7]
            + Array(bucket + 3 * 65_536...bucket + 3 * 65_536 + 4096)
            + [bucket + 4 * 65_536 + 65_530, bucket + 4 * 65_536 + 65_531, bucket + 4 * 65_536 + 65_534]
            + [bucket + 65_535 * 65_536 + 1, bucket + 65_535 * 65_536 + 2, bucket + 65_535 * 65_536 + 3]
        #expect(vector.rows == expected)
        #expect(vector.cardinality == cardinalities.reduce(0, +))
    }

    @Test func refusesCorruptBytes() {
        let good = DeletionVector(rows: [1, 2, 70_000, 1 << 33]).serialized()
        var badMagic = good
        badMagic[0] ^= 1
        var truncated = good
        truncated.removeLast()
        let unsortedBuckets =
            le32(1_681_511_377) + le64(2) + le32(1) + le32(12346) + le32(0) + le32(0) + le32(12346)
            + le32(0)
        let tooHigh =
            le32(1_681_511_377) + le64(1) + le32(256) + le32(12346) + le32(1) + le16(0) + le16(0) + le32(16)
            + le16(0)
        let wrongCardinality =
            le32(1_681_511_377) + le64(1) + le32(0) + le32(12346) + le32(1) + le16(0) + le16(1)
            + le32(16) + le16(3) + le16(3)
        for (bytes, what) in [
            (badMagic, "magic number"), (truncated, "ends inside"), (good + [0], "after the last bucket"),
            (unsortedBuckets, "is not above"), (tooHigh, "2^40"), (wrongCardinality, "not ascending"),
            (le32(1_681_511_377) + le64(1) + le32(0) + le32(99), "cookie"),
        ] {
            let error = #expect(throws: DeltaError.self) { try DeletionVector(serialized: bytes) }
            #expect(error?.code == .corruptLog)
            #expect(error?.message.contains(what) == true, "\(String(describing: error)) should say \(what)")
        }
    }

    // MARK: - Z85

    @Test func z85MatchesTheSpecVector() throws {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(bytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == bytes)
        #expect(Z85.encode([1, 2, 3]).count == 5)
        #expect(try Z85.decode(Z85.encode([1, 2, 3])) == [1, 2, 3, 0])
        #expect(throws: DeltaError.self) { try Z85.decode("Hell") }
        #expect(throws: DeltaError.self) { try Z85.decode("Hell~") }
        #expect(throws: DeltaError.self) { try Z85.decode("#####") }  // above 2^32 - 1
        let all = (0...255).map(UInt8.init)
        #expect(try Z85.decode(Z85.encode(all)) == all)
    }

    @Test func crc32IsZlibs() {
        #expect(DeletionVectorStorage.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    // MARK: - Storage

    @Test func writesAndReadsAFileOfVectors() throws {
        let dir = TempDirectory("dv")
        let store = LocalLogStore(root: dir.path)
        let vectors = [DeletionVector(rows: [0, 3]), DeletionVector(), DeletionVector(rows: 0..<70_000)]
        let descriptors = try DeletionVectorStorage.write(vectors, to: store)
        #expect(descriptors.map(\.storageType) == ["u", "u", "u"])
        #expect(descriptors.map(\.offset) == [1, 1 + 4 + 32 + 4 + 4, 1 + 4 + 32 + 4 + 4 + 4 + 12 + 4])
        #expect(descriptors.map(\.cardinality) == [2, 0, 70_000])
        #expect(Set(descriptors.map(\.pathOrInlineDv)).count == 1)
        let path = try #require(descriptors[0].relativeFilePath)
        #expect(path.hasPrefix("deletion_vector_") && path.hasSuffix(".bin") && path.count == 16 + 36 + 4)
        #expect(UUID(uuidString: String(path.dropFirst(16).dropLast(4))) != nil)
        #expect(try store.list("") == [path])
        for (descriptor, vector) in zip(descriptors, vectors) {
            #expect(try DeletionVectorStorage.read(descriptor, from: store) == vector)
        }
        #expect(try DeletionVectorStorage.write([], to: store).isEmpty)
        #expect(try store.list("").count == 1)
    }

    @Test func readsInlineAndAbsoluteVectors() throws {
        let dir = TempDirectory("dv")
        let store = LocalLogStore(root: dir.path)
        for rows in [[], [7], [1, 2, 3], Array(0..<5000)] {
            let vector = DeletionVector(rows: rows)
            let descriptor = DeletionVectorStorage.inline(vector)
            #expect(descriptor.offset == nil && descriptor.relativeFilePath == nil)
            #expect(descriptor.sizeInBytes == vector.serialized().count)
            #expect(try DeletionVectorStorage.read(descriptor, from: store) == vector)
        }
        let vector = DeletionVector(rows: [4, 5, 1 << 20])
        var descriptor = try DeletionVectorStorage.write([vector], to: store)[0]
        let relative = try #require(descriptor.relativeFilePath)
        descriptor.storageType = "p"
        descriptor.pathOrInlineDv = URL(fileURLWithPath: dir.file(relative)).absoluteString
        #expect(descriptor.pathOrInlineDv.hasPrefix("file:///"))
        #expect(try DeletionVectorStorage.read(descriptor, from: store) == vector)
        descriptor.pathOrInlineDv = dir.file(relative)
        #expect(try DeletionVectorStorage.read(descriptor, from: store) == vector)
        descriptor.pathOrInlineDv = "s3://bucket/" + relative
        #expect(throws: DeltaError.self) { try DeletionVectorStorage.read(descriptor, from: store) }
    }

    @Test func resolvesRandomPrefixes() {
        let descriptor = DeletionVectorDescriptor(
            storageType: "u", pathOrInlineDv: "ab" + Z85.encode(Array(0..<16)), offset: 1, sizeInBytes: 12,
            cardinality: 0)
        #expect(descriptor.relativeFilePath == "ab/deletion_vector_00010203-0405-0607-0809-0a0b0c0d0e0f.bin")
    }

    @Test func refusesCorruptFiles() throws {
        let dir = TempDirectory("dv")
        let store = LocalLogStore(root: dir.path)
        let descriptor = try DeletionVectorStorage.write([DeletionVector(rows: [1, 2, 3])], to: store)[0]
        let path = try #require(descriptor.relativeFilePath)
        let original = try #require(try store.read(path))

        func expectRefused(_ bytes: [UInt8], _ what: String, _ descriptor: DeletionVectorDescriptor = descriptor) throws
        {
            try FileManager.default.removeItem(atPath: dir.file(path))
            try store.write(path, Data(bytes))
            let error = #expect(throws: DeltaError.self) { try DeletionVectorStorage.read(descriptor, from: store) }
            #expect(error?.code == .corruptLog)
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains(path) && message.contains(what), "\(message) should say \(what)")
        }
        var flipped = [UInt8](original)
        flipped[20] ^= 0x10
        try expectRefused(flipped, "CRC-32 mismatch")
        var checksum = [UInt8](original)
        checksum[checksum.count - 1] ^= 1
        try expectRefused(checksum, "CRC-32 mismatch")
        try expectRefused([2] + [UInt8](original.dropFirst()), "format version 2")
        try expectRefused(Array(original.dropLast()), "do not fit")
        var larger = descriptor
        larger.sizeInBytes += 1
        try expectRefused([UInt8](original) + [0], "sizeInBytes", larger)
        var wrongCount = descriptor
        wrongCount.cardinality = 4
        try expectRefused([UInt8](original), "the log says 4", wrongCount)
        try FileManager.default.removeItem(atPath: dir.file(path))
        let error = #expect(throws: DeltaError.self) { try DeletionVectorStorage.read(descriptor, from: store) }
        #expect(error?.code == .io)
        #expect(error?.message.contains("does not exist") == true)
    }

    // MARK: - Interoperability with delta-rs

    @Test func deltaRsAppliesASecondVectorInAFile() throws {
        let deleted = [0, 5, 6, 99, 4000]
        let ids = try idsDeltaRsReads(count: 5000) { store in
            let descriptors = try DeletionVectorStorage.write(
                [DeletionVector(rows: [1, 2, 3]), DeletionVector(rows: deleted)], to: store)
            #expect(descriptors[1].offset ?? 0 > 1)
            return descriptors[1]
        }
        #expect(ids == (0..<5000).filter { !deleted.contains($0) })
    }

    @Test func deltaRsAppliesAnInlineVector() throws {
        let deleted = [1, 2, 3, 10, 1999] + Array(500..<700)  // an array and a run container
        let ids = try idsDeltaRsReads(count: 2000) { _ in DeletionVectorStorage.inline(DeletionVector(rows: deleted)) }
        #expect(ids == (0..<2000).filter { !deleted.contains($0) })
    }

    @Test func deltaRsAppliesABitsetContainer() throws {
        let deleted = Set(stride(from: 1, to: 12_000, by: 2)).union([0, 11_998])
        let ids = try idsDeltaRsReads(count: 12_000) { store in
            try DeletionVectorStorage.write([DeletionVector(rows: deleted)], to: store)[0]
        }
        #expect(ids == (0..<12_000).filter { !deleted.contains($0) })
    }

    /// Writes ids `0..<count` with delta-rs, adds by hand a commit putting the vector of `makeDescriptor` on the
    /// table's one file, and returns the ids delta-rs then reads.
    func idsDeltaRsReads(
        count: Int, _ makeDescriptor: (LocalLogStore) throws -> DeletionVectorDescriptor
    ) throws -> [Int] {
        let dir = TempDirectory("dv-interop")
        try Python.run(
            """
            import sys, pyarrow as pa
            from deltalake import write_deltalake
            write_deltalake(sys.argv[1], pa.table({"id": pa.array(range(int(sys.argv[2])), pa.int64())}))
            """, [dir.path, String(count)])
        let store = LocalLogStore(root: dir.path)
        let commit0 = try #require(try store.readCommit(0))
        let actions = try String(decoding: commit0, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        var metadata = try #require(actions.compactMap { $0["metaData"] as? [String: Any] }.first)
        let add = try #require(actions.compactMap { $0["add"] as? [String: Any] }.first)
        let path = try #require(add["path"] as? String)
        metadata["configuration"] = ["delta.enableDeletionVectors": "true"]

        let descriptor = try makeDescriptor(store)
        var dv: [String: Any] = [
            "storageType": descriptor.storageType, "pathOrInlineDv": descriptor.pathOrInlineDv,
            "sizeInBytes": descriptor.sizeInBytes, "cardinality": descriptor.cardinality,
        ]
        if let offset = descriptor.offset { dv["offset"] = offset }
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let lines: [[String: Any]] = [
            [
                "protocol": [
                    "minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["deletionVectors"],
                    "writerFeatures": ["deletionVectors"],
                ]
            ],
            ["metaData": metadata],
            [
                "remove": [
                    "path": path, "deletionTimestamp": now, "dataChange": true, "extendedFileMetadata": true,
                    "partitionValues": [String: String](), "size": add["size"] ?? 0,
                ]
            ],
            [
                "add": [
                    "path": path, "partitionValues": [String: String](), "size": add["size"] ?? 0,
                    "modificationTime": now, "dataChange": true,
                    "stats": "{\"numRecords\":\(count),\"tightBounds\":false}", "deletionVector": dv,
                ]
            ],
        ]
        var data = Data()
        for line in lines {
            data += try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8)
        }
        try store.writeCommit(1, data)

        let ids = try Python.json(
            """
            import sys, json, pyarrow as pa
            from deltalake import DeltaTable, QueryBuilder
            reader = QueryBuilder().register("t", DeltaTable(sys.argv[1])).execute("select id from t order by id")
            print(json.dumps(pa.table(reader.read_all()).column("id").to_pylist()))
            """, [dir.path])
        return try #require(ids as? [Int])
    }
}

// MARK: - Little-endian bytes

private func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func le64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
