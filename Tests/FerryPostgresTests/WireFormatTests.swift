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
}
