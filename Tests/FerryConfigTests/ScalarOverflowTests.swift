import FerryCore
import Testing

/// Values from a config or a table never trap ScalarValue: `date_buffer_days` moves a watermark back however far (it
/// used to overflow into SIGILL), the bound it yields compares with any date or timestamp, and decimals of very
/// different scales compare without overflowing.
@Suite struct ScalarOverflowTests {
    @Test func aHugeLookBackSaturatesAtTheEarliestDay() {
        let earliest = ScalarValue.earliestDay
        #expect(ScalarValue.date(19_000).minus(days: 2_147_483_648) == .date(earliest))
        #expect(ScalarValue.date(19_000).minus(days: 100_000) == .date(19_000 - 100_000))
        #expect(ScalarValue.date(0).minus(days: Int.max) == .date(earliest))
        #expect(ScalarValue.date(Int64.min).minus(days: 1) == .date(Int64.min))
        let now: Int64 = 1_700_000_000_000_000
        #expect(
            ScalarValue.timestamp(now, zoned: true).minus(days: 2_147_483_648)
                == .timestamp(earliest * 86_400_000_000, zoned: true))
        #expect(
            ScalarValue.timestamp(now, zoned: false).minus(days: 36_500)
                == .timestamp(now - 36_500 * 86_400_000_000, zoned: false))
        #expect(ScalarValue.timestamp(now, zoned: false).minus(days: -5) == .timestamp(now, zoned: false))
    }

    @Test func theSaturatedBoundStillComparesAndPrints() {
        let floor = ScalarValue.date(0).minus(days: Int.max)
        #expect(floor.compare(to: .timestamp(Int64.min, zoned: false)) == 1)
        #expect(floor.compare(to: .timestamp(0, zoned: false)) == -1)
        #expect(ScalarValue.timestamp(Int64.min, zoned: true).compare(to: floor) == -1)
        #expect(ScalarValue.date(Int64.max).compare(to: .timestamp(Int64.max, zoned: false)) == 1)
        #expect(ScalarValue.date(1).compare(to: .timestamp(86_400_000_000, zoned: true)) == 0)
        #expect(ScalarValue.date(1).compare(to: .timestamp(86_400_000_001, zoned: true)) == -1)
        #expect(ScalarValue.date(-1).compare(to: .timestamp(-1, zoned: true)) == -1)
        #expect(ScalarValue.date(-1).compare(to: .timestamp(-86_400_000_000, zoned: true)) == 0)
        #expect(!floor.description.isEmpty)
        #expect(!ScalarValue.timestamp(0, zoned: false).minus(days: Int.max).description.isEmpty)
    }

    @Test func decimalsOfVeryDifferentScalesCompareWithoutOverflow() {
        let big = ScalarValue.decimal(Int128.max / 2, scale: 0)
        #expect(big.compare(to: .decimal(1, scale: 30)) == 1)
        #expect(ScalarValue.decimal(1, scale: 30).compare(to: big) == -1)
        #expect(ScalarValue.decimal(-(Int128.max / 2), scale: 0).compare(to: .decimal(1, scale: 30)) == -1)
        #expect(ScalarValue.decimal(150, scale: 2).compare(to: .decimal(15, scale: 1)) == 0)
        #expect(ScalarValue.decimal(15, scale: 1).compare(to: .decimal(151, scale: 2)) == -1)
    }
}
