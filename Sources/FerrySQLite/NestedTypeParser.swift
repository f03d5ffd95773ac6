import FerryCore

/// Reads back the `ColumnType.description` a nested column's declared type carries (`list<int32>`,
/// `struct<street: text, number: int32>`, `list<decimal(10,2)>`), so a SQLite table Ferry wrote is read with the
/// types it was written with. `nil` for anything else (the column is then read by its affinity, as text).
struct NestedTypeParser {
    private let text: [Character]
    private var position = 0

    private init(_ text: Substring) {
        self.text = Array(text)
    }

    static func parse(_ text: Substring) -> ColumnType? {
        var parser = NestedTypeParser(text)
        guard let type = parser.type(depth: 0), parser.position == parser.text.count else { return nil }
        return type
    }

    private static let names: [String: ColumnType] = [
        "boolean": .boolean, "int16": .int16, "int32": .int32, "int64": .int64, "float32": .float32,
        "float64": .float64, "numeric": .numeric, "text": .text, "bytes": .bytes, "uuid": .uuid, "json": .json,
        "jsonb": .jsonb, "date": .date, "time": .time, "timestamp": .timestamp, "timestamptz": .timestampTZ,
    ]

    private mutating func take(_ literal: String) -> Bool {
        let chars = Array(literal)
        guard text.count - position >= chars.count, Array(text[position..<(position + chars.count)]) == chars else {
            return false
        }
        position += chars.count
        return true
    }

    /// Characters up to (not including) the first of `stops`.
    private mutating func word(until stops: Set<Character>) -> String {
        let start = position
        while position < text.count, !stops.contains(text[position]) { position += 1 }
        return String(text[start..<position])
    }

    private mutating func type(depth: Int) -> ColumnType? {
        guard depth < 32 else { return nil }
        if take("list<") {
            guard let element = type(depth: depth + 1), take(">") else { return nil }
            return .list(element)
        }
        if take("struct<") {
            var fields: [StructField] = []
            repeat {
                let name = word(until: [":"])
                guard !name.isEmpty, take(": "), let type = type(depth: depth + 1) else { return nil }
                fields.append(StructField(name: name, type: type))
            } while take(", ")
            guard take(">") else { return nil }
            return .structure(fields)
        }
        if take("decimal(") {
            let arguments = word(until: [")"]).split(separator: ",").compactMap { Int($0) }
            guard take(")"), arguments.count == 2 else { return nil }
            return .decimal(precision: arguments[0], scale: arguments[1])
        }
        return Self.names[word(until: [",", ">"])]
    }
}
