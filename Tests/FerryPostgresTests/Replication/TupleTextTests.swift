import FerryCore
import Testing

@testable import FerryPostgres

@Suite struct TupleTextTests {
    func value(_ text: String, _ type: ColumnType, viaText: Bool = false) throws(TupleText.Failure) -> ScalarValue {
        try TupleText.value(Array(text.utf8), type: type, viaText: viaText)
    }

    func failure(_ text: String, _ type: ColumnType) -> TupleText.Failure? {
        do {
            _ = try value(text, type)
            return nil
        } catch {
            return error
        }
    }

    @Test func numbersKeepEveryBit() throws {
        #expect(try value("t", .boolean) == .int(1))
        #expect(try value("f", .boolean) == .int(0))
        #expect(try value("-32768", .int16) == .int(-32768))
        #expect(try value("-9223372036854775808", .int64) == .int(Int64.min))
        #expect(try value("1.5", .float32) == .double(1.5))
        // float4 text parsed as float4: the double is the float's exact value, as the binary decoder gives it.
        #expect(try value("0.1", .float32) == .double(Double(Float(0.1))))
        #expect(try value("1e-45", .float32) == .double(Double(Float.leastNonzeroMagnitude)))
        #expect(try value("3.4028235e+38", .float32) == .double(Double(Float.greatestFiniteMagnitude)))
        #expect(try value("1.7976931348623157e+308", .float64) == .double(.greatestFiniteMagnitude))
        #expect(try value("5e-324", .float64) == .double(.leastNonzeroMagnitude))
        #expect(try value("Infinity", .float64) == .double(.infinity))
        #expect(try value("-Infinity", .float32) == .double(-.infinity))
        guard case .double(let nan) = try value("NaN", .float64), case .double(let zero) = try value("-0", .float64)
        else {
            Issue.record("not doubles")
            return
        }
        #expect(nan.isNaN)
        #expect(zero == 0 && zero.sign == .minus)
        #expect(failure("1.5x", .float64) == .malformed(expected: "a double precision"))
        #expect(failure("", .int32) == .malformed(expected: "an integer"))
    }

    @Test func numericsAreExact() throws {
        #expect(try value("19.99", .decimal(precision: 10, scale: 2)) == .decimal(1999, scale: 2))
        #expect(try value("-0.05", .decimal(precision: 10, scale: 2)) == .decimal(-5, scale: 2))
        let nines = Int128("99999999999999999999999999999999999999") ?? 0
        #expect(
            try value("-9999999999999999999999999999.9999999999", .decimal(precision: 38, scale: 10))
                == .decimal(-nines, scale: 10))
        #expect(failure("NaN", .decimal(precision: 10, scale: 2)) == .numeric(.nan, type: "numeric(10,2)"))
        #expect(
            failure("NaN", .decimal(precision: 10, scale: 2))?.reason == "NaN cannot be represented as numeric(10,2)")
        #expect(try value("NaN", .numeric) == .text("NaN"))
        #expect(try value("-Infinity", .numeric) == .text("-Infinity"))
        #expect(try value("-0.00012", .numeric) == .text("-0.00012"))
    }

    @Test func bytesUUIDsAndTextForms() throws {
        #expect(try value("\\x00ff10", .bytes) == .bytes([0x00, 0xFF, 0x10]))
        #expect(try value("\\x", .bytes) == .bytes([]))
        #expect(failure("\\000", .bytes) != nil)
        #expect(failure("\\x0", .bytes) != nil)
        #expect(
            try value("123E4567-E89B-12D3-A456-426614174000", .uuid) == .text("123e4567-e89b-12d3-a456-426614174000"))
        #expect(try value("héllo 🌍", .text) == .text("héllo 🌍"))
        #expect(try value("ab  ", .text) == .text("ab  "))
        #expect(try value("{1,NULL,3}", .text, viaText: true) == .text("{1,NULL,3}"))
        // A viaText column keeps its text whatever the type says (a domain over an unmapped type, say).
        #expect(try value("1 year 2 mons", .int32, viaText: true) == .text("1 year 2 mons"))
    }

    @Test func datesAndTimesInISOStyle() throws {
        #expect(try value("1969-07-20", .date) == .date(TimeText.days(year: 1969, month: 7, day: 20)))
        #expect(try value("2000-01-01", .date) == .date(10957))
        // 1 BC is year 0 in the proleptic Gregorian calendar PostgreSQL uses.
        #expect(try value("0001-01-01 BC", .date) == .date(TimeText.days(year: 0, month: 1, day: 1)))
        #expect(try value("4713-11-24 BC", .date) == .date(TimeText.days(year: -4712, month: 11, day: 24)))
        #expect(try value("5874897-12-31", .date) == .date(TimeText.days(year: 5_874_897, month: 12, day: 31)))
        #expect(failure("infinity", .date) == .infinity)
        #expect(failure("-infinity", .timestamp) == .infinity)
        #expect(failure("infinity", .timestampTZ)?.reason == "cannot represent infinity")
        #expect(try value("23:59:59.999999", .time) == .int(86_399_999_999))
        #expect(try value("24:00:00", .time) == .int(86_400_000_000))
        #expect(try value("1970-01-01 00:00:00", .timestamp) == .timestamp(0, zoned: false))
        #expect(
            try value("1900-01-01 00:00:00.000001", .timestamp)
                == .timestamp(micros("1900-01-01 00:00:00.000001"), zoned: false))
        #expect(
            try value("2024-02-29 12:34:56.789012+00", .timestampTZ)
                == .timestamp(micros("2024-02-29 12:34:56.789012Z"), zoned: true))
        #expect(try value("1969-12-31 23:59:59.999999+00", .timestampTZ) == .timestamp(-1, zoned: true))
        #expect(
            try value("2024-06-01 10:00:00+05:30", .timestampTZ)
                == .timestamp(micros("2024-06-01 04:30:00Z"), zoned: true))
        #expect(
            try value("2024-06-01 10:00:00-00:00:36", .timestampTZ)
                == .timestamp(micros("2024-06-01 10:00:36Z"), zoned: true))
        let bc = TimeText.days(year: -43, month: 3, day: 15) * TimeText.microsPerDay + 43_200_000_000
        #expect(try value("0044-03-15 12:00:00 BC", .timestamp) == .timestamp(bc, zoned: false))
        #expect(try value("0044-03-15 12:00:00+00 BC", .timestampTZ) == .timestamp(bc, zoned: true))
        // Past what µs since 1970 hold in 64 bits: an error, as in the binary decoder, never a trap.
        #expect(failure("294276-12-31 23:59:59.999999", .timestamp) != nil)
        #expect(failure("2024-13-01", .date) == .malformed(expected: "a date"))
        #expect(failure("2024-01-01 10:00:00", .timestampTZ) != nil)
    }
}
