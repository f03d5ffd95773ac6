/// Z85, ZeroMQ's base-85 text encoding (https://rfc.zeromq.org/spec/32/), which Delta uses to put binary data in
/// the JSON log: the UUID of a deletion vector file, or a whole deletion vector stored inline.
///
/// Every 4 bytes, read as a big-endian number, become 5 characters, most significant digit first.
public enum Z85 {
    static let alphabet = Array(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// The digit of each ASCII character, or 0xFF when it is not in the alphabet.
    static let digits: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (digit, character) in alphabet.enumerated() { table[Int(character)] = UInt8(digit) }
        return table
    }()

    /// Encodes `bytes`, first padding them with zero bytes to a multiple of 4 as Delta does.
    ///
    /// - Note: The padding is not recorded: callers keep the original length (Delta's `sizeInBytes`) and cut the
    ///   decoded bytes to it.
    public static func encode(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count + 3) / 4 * 5)
        for start in stride(from: 0, to: bytes.count, by: 4) {
            var value: UInt32 = 0
            for i in start..<start + 4 {
                value = value << 8 | UInt32(i < bytes.count ? bytes[i] : 0)
            }
            var group = [UInt8](repeating: 0, count: 5)
            for i in (0..<5).reversed() {
                group[i] = alphabet[Int(value % 85)]
                value /= 85
            }
            text.append(contentsOf: group)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes `text`, whose length must be a multiple of 5, into 4 bytes per 5 characters.
    ///
    /// - Throws: `DeltaError` `.corruptLog` on a length that is not a multiple of 5, a character outside the
    ///   alphabet, or a group above 2^32 - 1.
    public static func decode(_ text: String) throws(DeltaError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else {
            throw DeltaError(.corruptLog, "Z85 text of \(characters.count) characters is not a multiple of 5 long")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 5 * 4)
        for start in stride(from: 0, to: characters.count, by: 5) {
            var value: UInt64 = 0
            for i in start..<start + 5 {
                let digit = digits[Int(characters[i])]
                guard digit != 0xFF else {
                    throw DeltaError(.corruptLog, "Z85 text has an invalid character at position \(i)")
                }
                value = value * 85 + UInt64(digit)
            }
            guard value <= UInt64(UInt32.max) else {
                throw DeltaError(.corruptLog, "Z85 group at position \(start) exceeds 32 bits")
            }
            bytes.append(bigEndian: UInt32(value))
        }
        return bytes
    }
}
