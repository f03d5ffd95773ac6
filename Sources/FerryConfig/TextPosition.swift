/// A place in the config file for errors that come with an offset instead of a line: where the first byte that is
/// not UTF-8 is, or where libyaml's reader stopped.
struct TextPosition: Equatable {
    /// 1-based line.
    var line: Int
    /// 1-based column, counted in Unicode scalars like libyaml's marks.
    var column: Int
    /// 0-based byte offset from the start of the file.
    var byteOffset: Int

    /// The position of byte `offset` of `bytes` (the text before it is assumed to be UTF-8).
    init(byteOffset offset: Int, in bytes: some Collection<UInt8>) {
        var line = 1
        var column = 1
        for (i, b) in bytes.enumerated() {
            if i >= offset { break }
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        self.line = line
        self.column = column
        byteOffset = offset
    }

    /// The position of the `offset`-th character of `text` (how Yams reports reader errors).
    init(characterOffset offset: Int, in text: String) {
        let index = text.index(text.startIndex, offsetBy: max(0, offset), limitedBy: text.endIndex) ?? text.endIndex
        self.init(byteOffset: text.utf8.distance(from: text.utf8.startIndex, to: index), in: text.utf8)
    }

    /// The offset of the first byte that does not belong to a valid UTF-8 sequence, or `nil` when all are valid.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
