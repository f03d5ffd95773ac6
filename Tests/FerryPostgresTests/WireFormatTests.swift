import FerryCore
import Testing

@testable import FerryPostgres

/// Pure tests of the pieces that need no server: conninfo quoting, identifiers, type mapping, numeric binary.
@Suite struct WireFormatTests {
    func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
    }

    @Test func conninfoQuotesValuesAndPinsTheSession() {
        let config = PostgresConnectionConfig(
            host: "db.example", port: 6543, database: "shop db", user: "o'neil", password: #"pa\ss'word"#,
            connectTimeout: 5, commandTimeout: 300, sslMode: "require")
        let info = config.conninfo()
        #expect(info.contains("host='db.example' port='6543' dbname='shop db' user='o\\'neil'"))
        #expect(info.contains(#"password='pa\\ss\'word'"#))
        #expect(info.contains("client_encoding='UTF8'"))
        #expect(info.contains("application_name='ferry'"))
        #expect(info.contains("sslmode='require'"))
        #expect(info.contains("-c statement_timeout=300000"))
        #expect(info.contains("connect_timeout='5'"))
        #expect(!config.redactedDescription.contains("pa"))
        #expect(config.redactedDescription == "postgres://o'neil@db.example:6543/shop db")
        #expect(!PostgresConnectionConfig(database: "d").conninfo().contains("statement_timeout"))
    }

    @Test func identifiersAreQuoted() {
        #expect(PostgresSQL.quoteIdent("a\"b") == "\"a\"\"b\"")
        #expect(PostgresSQL.qualifiedName(TableName(schema: "Sales", name: "order")) == "\"Sales\".\"order\"")
        #expect(PostgresSQL.qualifiedName(TableName(name: "t")) == "\"t\"")
        let long = String(repeating: "é", count: 40)
        #expect(PostgresSQL.truncateIdentifier(long).utf8.count == 62)
    }

    @Test func sqlStatesMapToRetryableCodes() {
        #expect(PostgresErrors.code(forSQLState: "08006") == .connection)
        #expect(PostgresErrors.code(forSQLState: "53300") == .connection)
        #expect(PostgresErrors.code(forSQLState: "40001") == .transient)
        #expect(PostgresErrors.code(forSQLState: "40P01") == .transient)
        #expect(PostgresErrors.code(forSQLState: "57014") == .transient)
        #expect(PostgresErrors.code(forSQLState: "42P01") == .schema)
        #expect(PostgresErrors.code(forSQLState: "42703") == .schema)
        #expect(PostgresErrors.code(forSQLState: "23505") == .database)
        #expect(PostgresErrors.code(forSQLState: nil, connectionBroken: true) == .connection)
    }

    @Test func typesMapFromCatalogAndBackToDDL() {
        let numeric = PostgresTypes.numeric
        func typmod(_ p: Int, _ s: Int) -> Int32 { Int32(((p << 16) | (s & 0x7FF)) + 4) }
        #expect(PostgresTypes.columnType(oid: numeric, typmod: typmod(10, 2)).type == .decimal(precision: 10, scale: 2))
        #expect(PostgresTypes.columnType(oid: numeric, typmod: -1).type == .numeric)
        #expect(PostgresTypes.columnType(oid: numeric, typmod: typmod(39, 2)).type == .numeric)
        #expect(PostgresTypes.columnType(oid: numeric, typmod: 329_730).type == .numeric)  // numeric(5,-2)
        #expect(PostgresTypes.columnType(oid: numeric, typmod: 196_617).type == .numeric)  // numeric(3,5)
        #expect(PostgresTypes.columnType(oid: 1186, typmod: -1) == (.text, true))  // interval
        #expect(
            PostgresTypes.ddlType(for: Column(name: "a", type: .numeric, nativeType: "numeric(50,5)"))
                == "numeric(50,5)")
        #expect(
            PostgresTypes.ddlType(for: Column(name: "a", type: .timestampTZ, nativeType: "timestamp(3) with time zone"))
                == "timestamp(3) with time zone")
        // A SQLite "integer" read as int64 must not become a 32-bit column.
        #expect(PostgresTypes.ddlType(for: Column(name: "a", type: .int64, nativeType: "INTEGER")) == "bigint")
        #expect(
            PostgresTypes.ddlType(for: Column(name: "a", type: .text, nativeType: "character varying(5)")) == "text")
    }

    @Test func numericWireExamplesDecode() throws {
        let cases: [(String, Int, Int128, String)] = [
            ("0003 0001 0000 0003 000c 0d80 1ed2", 3, 123_456_789, "123456.789"),
            ("0002 ffff 4000 0005 0001 07d0", 5, -12, "-0.00012"),
            ("0002 0000 0000 0002 0001 1388", 2, 150, "1.50"),
            ("0000 0000 0000 0000", 0, 0, "0"),
            ("0001 0002 0000 0000 0001", 0, 100_000_000, "100000000"),
            (
                "0006 0004 0000 0004 04d2 162e 2334 0d80 1ed2 04b0", 4, Int128("123456789012345678901200") ?? 0,
                "12345678901234567890.1200"
            ),
        ]
        for (wire, scale, unscaled, text) in cases {
            let bytes = hex(wire)
            try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
                #expect(try NumericBinary.unscaled(raw, scale: scale) == unscaled, "\(text)")
                var out: [UInt8] = []
                try NumericBinary.appendText(raw, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == text)
            }
            var scratch: [Int16] = []
            var encoded: [UInt8] = []
            NumericBinary.append(unscaled: unscaled, scale: scale, to: &encoded, scratch: &scratch)
            #expect(encoded == bytes, "encode \(text)")
            var fromText: [UInt8] = []
            #expect(NumericBinary.append(text: ArraySlice(text.utf8), to: &fromText, scratch: &scratch))
            #expect(fromText == bytes, "encode text \(text)")
        }
        // -0.00012 at scale 10 (A.3's second check, widened).
        try hex("0002 ffff 4000 0005 0001 07d0").withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            #expect(try NumericBinary.unscaled(raw, scale: 10) == -1_200_000)
            #expect(throws: NumericFailure.self) { try NumericBinary.unscaled(raw, scale: 4) }
        }
        try hex("0000 0000 c000 0000").withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            #expect(throws: NumericFailure.self) { try NumericBinary.unscaled(raw, scale: 2) }
            var out: [UInt8] = []
            try NumericBinary.appendText(raw, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "NaN")
        }
    }

    @Test func decimalsRoundTripAtEveryScale() throws {
        let nines = Int128("99999999999999999999999999999999999999") ?? 0
        var scratch: [Int16] = []
        for scale in 0...38 {
            for value in [nines, -nines, 0, 1, -1, 10_000, 123_456_789, nines / 7] {
                var encoded: [UInt8] = []
                NumericBinary.append(unscaled: value, scale: scale, to: &encoded, scratch: &scratch)
                let decoded = try encoded.withUnsafeBytes { try NumericBinary.unscaled($0, scale: scale) }
                #expect(decoded == value, "\(value) at scale \(scale)")
                var text: [UInt8] = []
                try encoded.withUnsafeBytes { try NumericBinary.appendText($0, to: &text) }
                #expect(
                    String(decoding: text, as: UTF8.self) == DecimalText.format(unscaled: value, scale: scale),
                    "\(value) at scale \(scale)")
            }
        }
    }

    @Test func numericTextInAnyNotationEncodes() throws {
        var scratch: [Int16] = []
        func roundTrip(_ text: String) throws -> String? {
            var encoded: [UInt8] = []
            guard NumericBinary.append(text: ArraySlice(text.utf8), to: &encoded, scratch: &scratch) else { return nil }
            var out: [UInt8] = []
            try encoded.withUnsafeBytes { try NumericBinary.appendText($0, to: &out) }
            return String(decoding: out, as: UTF8.self)
        }
        #expect(try roundTrip("1e3") == "1000")
        #expect(try roundTrip("-.50") == "-0.50")
        #expect(try roundTrip("+007.25") == "7.25")
        #expect(try roundTrip("-0.000") == "0.000")
        #expect(try roundTrip("NaN") == "NaN")
        #expect(try roundTrip("-Infinity") == "-Infinity")
        #expect(try roundTrip("12345678901234567890123456789012345678901234567890.1") != nil)
        #expect(try roundTrip("abc") == nil)
        #expect(try roundTrip("1.2.3") == nil)
        #expect(try roundTrip("") == nil)
    }

    // MARK: Send forms, shared by binary COPY and the change stream

    func read<T>(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ValueFailure) -> T
    ) -> Result<T, ValueFailure> {
        bytes.withUnsafeBytes { raw in Result { () throws(ValueFailure) -> T in try body(raw) } }
    }

    func failure<T>(_ result: Result<T, ValueFailure>) -> ValueFailure? {
        if case .failure(let f) = result { return f }
        return nil
    }

    func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    @Test func sendFormsShiftDatesAndTimesFromThePostgresEpoch() throws {
        #expect(try read(be(Int32(0)), SendForm.date).get() == 10_957)
        #expect(try read(be(Int32(-10_957)), SendForm.date).get() == 0)
        #expect(try read(be(Int64(0)), SendForm.timestamp).get() == 946_684_800_000_000)
        #expect(try read(be(Int64(-946_684_800_000_000)), SendForm.timestamp).get() == 0)
        #expect(try read(be(Int64(86_399_999_999)), SendForm.time).get() == 86_399_999_999)
        #expect(try read(be(Int16(-2)), SendForm.int16).get() == -2)
        #expect(try read(be(Int32.min), SendForm.int32).get() == Int64(Int32.min))
        #expect(try read(be(Int64.max), SendForm.int64).get() == .max)
        #expect(try read(be(Float(1.5).bitPattern), SendForm.float32).get() == 1.5)
        #expect(try read(be((-0.0).bitPattern), SendForm.float64).get().sign == .minus)
        #expect(try read([1], SendForm.bool).get() == true)
        #expect(try read([0], SendForm.bool).get() == false)
        #expect(
            try read([1] + Array("{}".utf8), { (f) throws(ValueFailure) in Array(try SendForm.jsonb(f)) }).get()
                == Array("{}".utf8))
        let uuid = Array(0..<16).map(UInt8.init)
        #expect(try read(uuid, { (f) throws(ValueFailure) in Array(try SendForm.uuid(f)) }).get() == uuid)
        #expect(
            try read(
                hex("0002 0000 0000 0002 0001 1388"),
                { (f) throws(ValueFailure) in try SendForm.decimal(f, precision: 10, scale: 2) }
            ).get()
                == 150)
    }

    @Test func sendFormsRefuseWrongLengthsInfinitiesAndTimestampsPast64Bits() {
        #expect(read([0, 1], SendForm.bool) == .failure(.malformed(expected: "a boolean (2 bytes in binary form)")))
        #expect(read([0, 1], SendForm.int32) == .failure(.malformed(expected: "an integer (2 bytes in binary form)")))
        #expect(read([], SendForm.timestamp) == .failure(.malformed(expected: "a timestamp (0 bytes in binary form)")))
        #expect(
            failure(read(Array(repeating: 0, count: 15), SendForm.uuid))
                == .malformed(expected: "a uuid (15 bytes in binary form)"))
        #expect(read(be(Int32.max), SendForm.date) == .failure(.infinity))
        #expect(read(be(Int32.min), SendForm.date) == .failure(.infinity))
        #expect(read(be(Int64.max), SendForm.timestamp) == .failure(.infinity))
        #expect(read(be(Int64.min), SendForm.timestamp) == .failure(.infinity))
        // 294276-12-31 in µs since 2000 is a valid PostgreSQL timestamp, past what µs since 1970 hold.
        #expect(read(be(Int64.max - 1), SendForm.timestamp) == .failure(.outOfRange("a timestamp")))
        #expect(failure(read([2, 0x7B, 0x7D], SendForm.jsonb)) == .malformed(expected: "jsonb of binary version 1"))
        let nan = hex("0000 0000 c000 0000")
        #expect(
            read(nan, { (f) throws(ValueFailure) in try SendForm.decimal(f, precision: 10, scale: 2) })
                == .failure(.numeric(.nan, type: "numeric(10,2)")))
        var text: [UInt8] = []
        #expect(failure(read(nan, { (f) throws(ValueFailure) in try SendForm.appendNumericText(f, to: &text) })) == nil)
        #expect(String(decoding: text, as: UTF8.self) == "NaN")
        #expect(ValueFailure.infinity.reason == "cannot represent infinity")
    }

    /// The start of a binary COPY stream (signature, flags, no header extension) and one row of `fields`.
    func copyMessage(_ fields: [[UInt8]?]) -> [UInt8] {
        var m = BinaryCopyDecoder.signature + be(Int32(0)) + be(Int32(0)) + be(Int16(fields.count))
        for f in fields {
            if let f { m += be(Int32(f.count)) + f } else { m += be(Int32(-1)) }
        }
        return m
    }

    func copyColumn(_ name: String, _ type: ColumnType) -> PGColumnInfo {
        PGColumnInfo(
            name: name, formatType: "\(type)", typeOID: 0, typmod: -1, notNull: false, type: type, viaText: false)
    }

    @Test func binaryCopyDecodesThroughTheSendForms() throws {
        let columns = [copyColumn("id", .int32), copyColumn("born", .date), copyColumn("at", .timestampTZ)]
        var decoder = BinaryCopyDecoder(columns: columns, table: "public.t")
        var batch = RecordBatch(
            columns: [
                Column(name: "id", type: .int32), Column(name: "born", type: .date),
                Column(name: "at", type: .timestampTZ),
            ], capacity: 1)
        let message = copyMessage([be(Int32(7)), be(Int32(1)), nil])
        #expect(try message.withUnsafeBytes { try decoder.decode($0, into: &batch) })
        #expect(batch.vectors[0].int64(at: 0) == 7)
        #expect(batch.vectors[1].int64(at: 0) == 10_958)
        #expect(batch.vectors[2].isNull(0))
        #expect(decoder.rowsDecoded == 1)
    }

    /// The same bad bytes, read by binary COPY and by the change stream: the same reason and advice, each with
    /// its own place.
    @Test(arguments: [
        (ColumnType.int32, [0, 1] as [UInt8]),
        (ColumnType.date, [0x7F, 0xFF, 0xFF, 0xFF]),
        (ColumnType.timestamp, [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]),
        (ColumnType.decimal(precision: 10, scale: 2), [0, 0, 0, 0, 0xC0, 0, 0, 0]),
        (ColumnType.jsonb, [2]),
    ])
    func aBadBinaryValueFailsWithTheSameWordsInACopyAndInTheStream(type: ColumnType, bytes: [UInt8]) throws {
        let failure = try #require(
            self.failure(read(bytes, { (f) throws(ValueFailure) in try TupleBinary.value(f, type: type) })))
        var decoder = BinaryCopyDecoder(columns: [copyColumn("c", type)], table: "public.t")
        var batch = RecordBatch(columns: [Column(name: "c", type: type)], capacity: 1)
        let error = #expect(throws: FerryError.self) {
            _ = try copyMessage([bytes]).withUnsafeBytes { try decoder.decode($0, into: &batch) }
        }
        #expect(error?.code == .data)
        #expect(error?.table == "public.t")
        #expect(error?.message == "column c: \(failure.reason) (row 1); \(failure.advice)")
        #expect(error?.message == failure.error(column: "c", at: "row 1", table: "public.t").message)
    }

    // MARK: Names a staging swap gives the key and indexes

    func swapPlanner(taken: @escaping (String) -> Bool) -> PostgresWritePlanner {
        PostgresWritePlanner(
            target: TableName(schema: "sales", name: "orders"), existing: nil,
            schema: TableSchema(
                columns: [Column(name: "id", type: .int64, nullable: false), Column(name: "day", type: .date)],
                primaryKey: ["id"], indexes: [IndexSpec(name: "by_day", columns: ["day"], unique: false)]),
            mode: .replace(.stagingSwap), nameTaken: { (name: String) throws(FerryError) -> Bool in taken(name) })
    }

    @Test func aSwapKeyTakesTheFirstFreeNameAndSaysWhatToDoWhenNoneIs() throws {
        let plan = try swapPlanner(taken: { $0.hasPrefix("orders_pkey") && $0 != "orders_pkey7" }).plan()
        #expect(plan.finish.contains { $0.hasSuffix("RENAME CONSTRAINT \"orders__ferry_stg_pk\" TO \"orders_pkey7\"") })
        let key = #expect(throws: FerryError.self) {
            _ = try swapPlanner(taken: { $0.hasPrefix("orders_pkey") }).plan()
        }
        #expect(key?.code == .schema)
        #expect(key?.table == "sales.orders")
        #expect(
            key?.message
                == "no free name for the primary key of sales.orders: orders_pkey and orders_pkey1 to orders_pkey99 "
                + "are all taken by other tables, indexes or constraints in schema sales; drop or rename the ones no "
                + "longer needed, or give this table strategy: simple_copy, which keeps the target's own key")
        let index = #expect(throws: FerryError.self) { _ = try swapPlanner(taken: { $0 != "orders_pkey" }).plan() }
        #expect(index?.message.hasPrefix("no free name for the index on (day) of sales.orders: orders_day_idx") == true)
        #expect(index?.message.hasSuffix("drop or rename the ones no longer needed") == true)
    }
}
