import FerryCore
import Testing

@Suite struct DecimalTextTests {
    @Test func formatsUnscaledValuesAtTheirScale() {
        #expect(DecimalText.format(unscaled: 12345, scale: 2) == "123.45")
        #expect(DecimalText.format(unscaled: -5, scale: 3) == "-0.005")
        #expect(DecimalText.format(unscaled: 0, scale: 2) == "0.00")
        #expect(DecimalText.format(unscaled: 7, scale: 0) == "7")
        let max38 = Int128("99999999999999999999999999999999999999")!
        #expect(DecimalText.format(unscaled: max38, scale: 10) == "9999999999999999999999999999.9999999999")
        #expect(DecimalText.format(unscaled: -max38, scale: 38) == "-0.99999999999999999999999999999999999999")
    }

    @Test func parsesExactlyWithoutRounding() {
        #expect(DecimalText.parse("123.45", scale: 2) == 12345)
        #expect(DecimalText.parse("123.4500", scale: 2) == 12345)
        #expect(DecimalText.parse("-0.005", scale: 3) == -5)
        #expect(DecimalText.parse("1e3", scale: 1) == 10000)
        #expect(DecimalText.parse("+.5", scale: 1) == 5)
        #expect(DecimalText.parse("19.99", scale: 2) == 1999)
        #expect(
            DecimalText.parse("9999999999999999999999999999.9999999999", scale: 10)
                == Int128("99999999999999999999999999999999999999"))
    }

    @Test func refusesValuesThatWouldBeRoundedOrOverflow() {
        #expect(DecimalText.parse("1.005", scale: 2) == nil)
        #expect(DecimalText.parse("12345", scale: 2, precision: 6) == nil)
        #expect(DecimalText.parse("abc", scale: 2) == nil)
        #expect(DecimalText.parse("", scale: 2) == nil)
        #expect(DecimalText.parse("1.2.3", scale: 2) == nil)
    }

    @Test func longRunsOfZerosAndExponentsStayExact() {
        #expect(DecimalText.parse("1." + String(repeating: "0", count: 60), scale: 2) == 100)
        #expect(DecimalText.parse("0." + String(repeating: "0", count: 60) + "1", scale: 2) == nil)
        #expect(DecimalText.parse("000000000000000000000000000000000000000000012.5", scale: 1) == 125)
        #expect(DecimalText.parse("-0.00", scale: 2) == 0)
        #expect(DecimalText.parse("2.50e-1", scale: 3) == 250)
        #expect(DecimalText.parse("1e40", scale: 0) == nil)
        #expect(DecimalText.parse("1e", scale: 0) == nil)
        #expect(DecimalText.parse("e5", scale: 0) == nil)
        #expect(DecimalText.parse(" 42 ", scale: 0) == 42)
        #expect(DecimalText.parse("99999999999999999999999999999999999999", scale: 0) != nil)
        #expect(DecimalText.parse("999999999999999999999999999999999999999", scale: 0) == nil)
    }

    @Test func rescalingIsExactOrRefused() {
        #expect(DecimalText.rescale(12345, from: 2, to: 4, precision: 10) == 1_234_500)
        #expect(DecimalText.rescale(12300, from: 4, to: 2, precision: 10) == 123)
        #expect(DecimalText.rescale(12345, from: 4, to: 2, precision: 10) == nil)
        #expect(DecimalText.rescale(12345, from: 2, to: 2, precision: 4) == nil)
        #expect(DecimalText.rescale(-5, from: 0, to: 2, precision: 3) == -500)
        #expect(DecimalText.rescale(0, from: 9, to: 0, precision: 1) == 0)
        #expect(DecimalText.digitCount(Int128(-1000)) == 4 && DecimalText.digitCount(0) == 1)
    }

    @Test func canonicalFormKeepsEveryDigitWithoutExponent() {
        #expect(DecimalText.canonical("1.2345678901234568e+29") == "123456789012345680000000000000")
        #expect(DecimalText.canonical("-.50") == "-0.50")
        #expect(DecimalText.canonical("1.5E-3") == "0.0015")
        #expect(DecimalText.canonical("007") == "7")
        #expect(DecimalText.canonical("-0") == "0")
        #expect(DecimalText.canonical("nan") == "NaN")
        #expect(DecimalText.canonical("12abc") == nil)
    }

    @Test func uuidTextRoundTrips() {
        let bytes: [UInt8] = [
            0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00,
        ]
        let text = UUIDText.format(bytes)
        #expect(text == "123e4567-e89b-12d3-a456-426614174000")
        #expect(UUIDText.parse(text) == bytes)
        #expect(UUIDText.parse("{123E4567-E89B-12D3-A456-426614174000}") == bytes)
        #expect(UUIDText.parse("123e4567") == nil)
    }
}
