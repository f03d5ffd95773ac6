import FerryCore
import FerrySQLite
import FerryTestKit
import Foundation
import GRDB
import Testing

@Suite struct SQLiteRoundTripTests {
    static let createAllTypes = """
        CREATE TABLE all_types (
            id INTEGER PRIMARY KEY, flag BOOLEAN, small SMALLINT, medium INT, big BIGINT, real4 FLOAT4, real8 DOUBLE,
            price DECIMAL(10,2), wide DECIMAL_TEXT(38,10), anynum NUMERIC_TEXT, name TEXT, payload BLOB, uid UUID,
            doc JSON, born DATE, at_time TIME, happened TIMESTAMP, happened_tz TIMESTAMPTZ NOT NULL
        );
        CREATE UNIQUE INDEX all_types_uid ON all_types (uid);
        CREATE INDEX all_types_born ON all_types (born, name);
        """

    static func makeSource(_ path: String, rows: Int = 3) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { db in
            try db.execute(sql: createAllTypes)
            try db.execute(
                sql: """
                    INSERT INTO all_types VALUES
                    (1, 1, -32768, 2147483647, -9223372036854775808, 1.5, 3.141592653589793, '19.99',
                     '9999999999999999999999999999.9999999999', '123456789012345678901234567890.123456789',
                     'héllo 🌍 中文', X'00FF10', '123e4567-e89b-12d3-a456-426614174000', '{"a": [1, 2]}',
                     '1969-07-20', '23:59:59.999999', '1900-01-01 00:00:00.000001', '2024-02-29 12:34:56.789012+00:00'),
                    (2, 0, 0, 0, 0, 0.0, -0.0, '-0.05', '-0.0000000001', '0', '', X'', NULL, NULL,
                     '2000-01-01', '00:00:00', '2000-01-01 00:00:00', '1970-01-01T00:00:00Z'),
                    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                     NULL, NULL, NULL, '2024-06-01T10:00:00+02:00');
                    """)
            if rows > 3 {
                let stmt = try db.makeStatement(sql: "INSERT INTO all_types (id, name, happened_tz) VALUES (?, ?, ?)")
                for i in 4...rows {
                    try stmt.execute(arguments: [i, "row \(i)", "2024-01-01 00:00:00+00:00"])
                }
            }
        }
        try q.close()
    }

    func readAll(_ source: any Source, _ table: String, batchSize: Int = 1000) throws -> (TableSchema, [RecordBatch]) {
        let reader = try source.openReader(TableName(name: table))
        defer { reader.close() }
        var batches: [RecordBatch] = []
        _ = try reader.read(filter: nil, limit: nil, batchSize: batchSize) { (b: RecordBatch) throws(FerryError) in
            batches.append(b)
        }
        return (reader.schema, batches)
    }

    @Test func declaredTypesMapToFerryTypes() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"))
        let reader = try SQLiteSource(path: dir.file("src.db")).openReader(TableName(name: "all_types"))
        defer { reader.close() }
        let types = reader.schema.columns.map(\.type)
        #expect(
            types == [
                .int64, .boolean, .int16, .int32, .int64, .float32, .float64, .decimal(precision: 10, scale: 2),
                .decimal(precision: 38, scale: 10), .numeric, .text, .bytes, .uuid, .json, .date, .time, .timestamp,
                .timestampTZ,
            ])
        #expect(reader.schema.primaryKey == ["id"])
        #expect(Set(reader.schema.indexes.map(\.name)) == ["all_types_uid", "all_types_born"])
        #expect(reader.schema.columns.last?.nullable == false)
    }

    @Test func valuesAreReadExactly() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"))
        let (_, batches) = try readAll(SQLiteSource(path: dir.file("src.db")), "all_types")
        let b = try #require(batches.first)
        #expect(b.rowCount == 3)
        #expect(b.vectors[2].int64(at: 0) == -32768)
        #expect(b.vectors[4].int64(at: 0) == Int64.min)
        #expect(b.vectors[7].decimal(at: 0) == 1999)
        #expect(b.vectors[7].decimal(at: 1) == -5)
        #expect(b.vectors[8].decimal(at: 0) == Int128("99999999999999999999999999999999999999"))
        #expect(b.vectors[9].string(at: 0) == "123456789012345678901234567890.123456789")
        #expect(b.vectors[10].string(at: 0) == "héllo 🌍 中文")
        #expect(b.vectors[10].string(at: 1) == "")
        #expect(!b.vectors[10].isNull(1))
        #expect(b.vectors[10].isNull(2))
        #expect(Array(b.vectors[11].bytes(at: 0)) == [0x00, 0xFF, 0x10])
        #expect(UUIDText.format(Array(b.vectors[12].bytes(at: 0))) == "123e4567-e89b-12d3-a456-426614174000")
        #expect(b.vectors[14].int64(at: 0) == TimeText.days(year: 1969, month: 7, day: 20))
        #expect(b.vectors[15].int64(at: 0) == 86_399_999_999)
        #expect(b.vectors[16].int64(at: 0) == TimeText.parseTimestamp("1900-01-01 00:00:00.000001")?.micros)
        #expect(b.vectors[17].int64(at: 2) == TimeText.parseTimestamp("2024-06-01 08:00:00Z")?.micros)
        for v in b.vectors.dropFirst() { #expect(v.isNull(2) == (v != b.vectors[17])) }
    }

    @Test func batchesAreSplitAtBatchSize() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"), rows: 2500)
        let (_, batches) = try readAll(SQLiteSource(path: dir.file("src.db")), "all_types", batchSize: 1000)
        #expect(batches.map(\.rowCount) == [1000, 1000, 500])
    }

    @Test(arguments: [WriteMode.replace(.simpleCopy), .replace(.stagingSwap), .append, .upsert(key: ["id"])])
    func writtenTableReadsBackIdentically(mode: WriteMode) throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"), rows: 50)
        let (schema, batches) = try readAll(SQLiteSource(path: dir.file("src.db")), "all_types", batchSize: 7)
        let writer = try SQLiteDestination(path: dir.file("dst.db")).openWriter(TableName(name: "all_types"))
        try writer.begin(schema: schema, mode: mode)
        for b in batches { try writer.write(b) }
        #expect(try writer.commit() == 50)
        writer.close()
        let (schema2, batches2) = try readAll(SQLiteSource(path: dir.file("dst.db")), "all_types", batchSize: 7)
        #expect(schema2.columns.map(\.type) == schema.columns.map(\.type))
        #expect(schema2.primaryKey == ["id"])
        #expect(Set(schema2.indexes.map(\.columns)) == Set(schema.indexes.map(\.columns)))
        #expect(batches2.map(\.vectors) == batches.map(\.vectors))
    }

    @Test func upsertReplacesRowsWithTheSameKeyAndAddsNewOnes() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"), rows: 10)
        let (schema, batches) = try readAll(SQLiteSource(path: dir.file("src.db")), "all_types")
        let dst = SQLiteDestination(path: dir.file("dst.db"))
        for _ in 0..<2 {
            let writer = try dst.openWriter(TableName(name: "all_types"))
            try writer.begin(schema: schema, mode: .upsert(key: ["id"]))
            for b in batches { try writer.write(b) }
            _ = try writer.commit()
            writer.close()
        }
        let writer = try dst.openWriter(TableName(name: "all_types"))
        defer { writer.close() }
        #expect(try writer.rowCount() == 10)
        #expect(try writer.maxValue(of: "id", type: .int64) == .int(10))
        #expect(
            try writer.maxValue(of: "happened_tz", type: .timestampTZ)
                == .timestamp(TimeText.parseTimestamp("2024-06-01 08:00:00Z")!.micros, zoned: true))
    }

    @Test func abortLeavesTheTargetAsItWas() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"), rows: 10)
        let (schema, batches) = try readAll(SQLiteSource(path: dir.file("src.db")), "all_types")
        let dst = SQLiteDestination(path: dir.file("dst.db"))
        let first = try dst.openWriter(TableName(name: "all_types"))
        try first.begin(schema: schema, mode: .replace(.simpleCopy))
        for b in batches { try first.write(b) }
        _ = try first.commit()
        first.close()
        for mode in [WriteMode.replace(.simpleCopy), .replace(.stagingSwap)] {
            let w = try dst.openWriter(TableName(name: "all_types"))
            try w.begin(schema: schema, mode: mode)
            try w.write(batches[0])
            w.abort()
            #expect(try w.rowCount() == 10)
            #expect(try w.existingSchema() != nil)
            w.close()
        }
        let tables = try DatabaseQueue(path: dir.file("dst.db")).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(tables == ["all_types"])
    }

    @Test func incompatibleTypeChangeFailsNamingTheColumn() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"))
        let (schema, _) = try readAll(SQLiteSource(path: dir.file("src.db")), "all_types")
        try DatabaseQueue(path: dir.file("dst.db")).write { db in
            try db.execute(sql: "CREATE TABLE all_types (id INTEGER PRIMARY KEY, name INT)")
        }
        let w = try SQLiteDestination(path: dir.file("dst.db")).openWriter(TableName(name: "all_types"))
        defer { w.close() }
        #expect {
            try w.begin(schema: schema, mode: .append)
        } throws: { error in
            guard let e = error as? FerryError else { return false }
            return e.code == .schema && e.message.contains("column name is text in the source but int32 in the target")
        }
    }

    @Test func missingSourceTableIsASchemaErrorNamingIt() throws {
        let dir = TempDirectory()
        try Self.makeSource(dir.file("src.db"))
        #expect {
            _ = try SQLiteSource(path: dir.file("src.db")).openReader(TableName(name: "nope"))
        } throws: { error in
            (error as? FerryError)?.code == .schema && "\(error)".contains("nope")
        }
    }

    @Test func sourceIsOpenedReadOnly() throws {
        let dir = TempDirectory()
        #expect(throws: FerryError.self) {
            _ = try SQLiteSource(path: dir.file("missing.db")).openReader(TableName(name: "t"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing.db")))
    }

    @Test func badValuesAreReportedWithRowAndColumn() throws {
        let dir = TempDirectory()
        let q = try DatabaseQueue(path: dir.file("src.db"))
        try q.write { db in
            try db.execute(
                sql:
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, at TIMESTAMP); INSERT INTO t VALUES (1, '2024-01-01'), (2, 'soon')"
            )
        }
        #expect {
            _ = try readAll(SQLiteSource(path: dir.file("src.db")), "t")
        } throws: { error in
            "\(error)".contains("row 2, column at: 'soon' is not a timestamp")
        }
    }
}
