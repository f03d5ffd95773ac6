import Testing

@testable import FerryPostgres

@Suite struct IntervalInetTextTests {
    @Test func intervalsRenderInThePostgresStyle() {
        let hour: Int64 = 3_600_000_000
        #expect(
            IntervalText.format(micros: 4 * hour + 5 * 60_000_000 + 6_789_000, days: 3, months: 14)
                == "1 year 2 mons 3 days 04:05:06.789")
        #expect(IntervalText.format(micros: 0, days: 0, months: 0) == "00:00:00")
        #expect(IntervalText.format(micros: 0, days: 1, months: 0) == "1 day")
        #expect(IntervalText.format(micros: 2 * hour, days: -1, months: 0) == "-1 days +02:00:00")
        #expect(IntervalText.format(micros: -1_000_000, days: 0, months: 0) == "-00:00:01")
        #expect(IntervalText.format(micros: 0, days: 1, months: -1) == "-1 mons +1 day")
        #expect(IntervalText.format(micros: 0, days: 0, months: -13) == "-1 years -1 mons")
        #expect(IntervalText.format(micros: 100 * hour + 1, days: 0, months: 0) == "100:00:00.000001")
        #expect(IntervalText.format(micros: 500_000, days: 0, months: 12) == "1 year 00:00:00.5")
        #expect(IntervalText.format(micros: .max, days: .max, months: .max) == "infinity")
        #expect(IntervalText.format(micros: .min, days: .min, months: .min) == "-infinity")
    }

    func inet(_ bytes: [UInt8]) throws(ValueFailure) -> String {
        try bytes.withUnsafeBytes { raw in Result { () throws(ValueFailure) in try InetText.format(raw) } }.get()
    }

    @Test func addressesRenderAsInetOutDoes() throws {
        #expect(try inet([2, 24, 0, 4, 192, 168, 1, 5]) == "192.168.1.5/24")
        #expect(try inet([2, 32, 0, 4, 192, 168, 0, 1]) == "192.168.0.1")
        #expect(try inet([2, 8, 1, 4, 10, 0, 0, 0]) == "10.0.0.0/8")
        #expect(try inet([2, 32, 1, 4, 10, 1, 2, 3]) == "10.1.2.3/32")
        #expect(try inet([3, 128, 0, 16] + [UInt8](repeating: 0, count: 15) + [1]) == "::1")
        #expect(try inet([3, 0, 0, 16] + [UInt8](repeating: 0, count: 16)) == "::/0")
        #expect(
            try inet([3, 128, 0, 16] + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
                == "2001:db8::1")
        #expect(
            try inet([3, 128, 0, 16] + [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 1, 2, 3, 4])
                == "::ffff:1.2.3.4")
        #expect(try inet([3, 128, 0, 16] + [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]) == "1:0:1:0:1:0:1:0")
        #expect(try inet([3, 128, 0, 16] + [0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]) == "1:0:0:2::3")
        #expect(throws: ValueFailure.self) { try inet([2, 24, 0, 16, 1, 2, 3, 4]) }
    }
}
