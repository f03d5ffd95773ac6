import FerryCore
import Testing

@Suite struct TimeTextTests {
    @Test(arguments: [
        ("1970-01-01", Int64(0)), ("2000-01-01", Int64(10_957)), ("1969-12-31", Int64(-1)),
        ("2024-02-29", Int64(19_782)), ("0001-01-01", Int64(-719_162)), ("9999-12-31", Int64(2_932_896)),
    ])
    func datesConvertBothWays(text: String, days: Int64) {
        #expect(TimeText.parseDate(text) == days)
        #expect(TimeText.formatDate(days: days) == text)
    }

    @Test func timestampsKeepMicrosecondsBeforeAndAfterTheEpoch() {
        let cases: [Int64] = [0, 1, -1, 1_700_000_000_123_456, -2_208_988_800_000_001, 253_402_300_799_999_999]
        for micros in cases {
            let naive = TimeText.formatTimestamp(micros: micros, zoned: false)
            #expect(TimeText.parseTimestamp(naive)?.micros == micros, "\(naive)")
            let zoned = TimeText.formatTimestamp(micros: micros, zoned: true)
            #expect(TimeText.parseTimestamp(zoned)?.micros == micros, "\(zoned)")
            #expect(TimeText.parseTimestamp(zoned)?.hadZone == true)
        }
    }

    @Test func offsetsAreNormalisedToUTC() {
        #expect(
            TimeText.parseTimestamp("2024-01-01T10:00:00+02:00")?.micros
                == TimeText.parseTimestamp("2024-01-01 08:00:00Z")?.micros)
        #expect(
            TimeText.parseTimestamp("2024-01-01 08:00:00-0530")?.micros
                == TimeText.parseTimestamp("2024-01-01 13:30:00+00")?.micros)
        #expect(
            TimeText.parseTimestamp("2024-01-01 08:00:00.5")?.micros
                == TimeText.parseTimestamp("2024-01-01 08:00:00")!.micros + 500_000)
    }

    @Test func rejectsMalformedText() {
        #expect(TimeText.parseTimestamp("2024-13-01") == nil)
        #expect(TimeText.parseTimestamp("yesterday") == nil)
        #expect(TimeText.parseTimestamp("2024-01-01 25:00") == nil)
        #expect(TimeText.parseDate("01/02/2024") == nil)
        #expect(TimeText.parseTime("12:34:56.000001") == 45_296_000_001)
    }
}
