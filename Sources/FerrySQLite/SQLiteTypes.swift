import FerryCore
import Foundation

/// How Ferry's column types are declared in SQLite and recognised when reading a SQLite schema.
///
/// SQLite stores values by affinity, so the declared type is the only place a table's intent lives. Ferry declares
/// types it can read back exactly: decimals as `DECIMAL_TEXT(p,s)` (TEXT affinity, so SQLite never rounds them to a
/// 15-digit REAL), timestamps as ISO-8601 text, booleans as 0/1, lists and structures as JSON text under a type
/// that names them exactly (`JSON list<int32>`, `JSON struct<a: int32, b: text>`), so Ferry reads them back typed.
enum SQLiteTypes {
    /// The prefix of the declared type of a list or structure column.
    static let nestedPrefix = "JSON "

    static func declaredType(for type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOLEAN"
        case .int16: "SMALLINT"
        case .int32: "INT"
        case .int64: "BIGINT"
        case .float32: "FLOAT4"
        case .float64: "DOUBLE"
        case .decimal(let p, let s): "DECIMAL_TEXT(\(p),\(s))"
        case .numeric: "NUMERIC_TEXT"
        case .text: "TEXT"
        case .bytes: "BLOB"
        case .uuid: "UUID"
        case .json: "JSON_TEXT"
        case .jsonb: "JSONB_TEXT"
        case .date: "DATE"
        case .time: "TIME"
        case .timestamp: "TIMESTAMP"
        case .timestampTZ: "TIMESTAMPTZ"
        case .list, .structure: nestedPrefix + type.description
        }
    }

    /// A declared type as it goes into DDL: as it is when SQLite parses it as a type name, else quoted (the
    /// `JSON list<int32>` of a nested column); SQLite keeps the text inside the quotes as the declared type.
    static func ddl(_ declared: String) -> String {
        let plain = declared.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "_ (),".unicodeScalars.contains($0)
        }
        return plain ? declared : quote(declared)
    }

    static func ddlType(for type: ColumnType) -> String { ddl(declaredType(for: type)) }

    /// Maps a declared SQLite type to a column type, following SQLite's affinity rules where names are ambiguous.
    static func columnType(declared: String) -> ColumnType {
        let trimmed = declared.trimmingCharacters(in: .whitespaces)
        if trimmed.uppercased().hasPrefix(nestedPrefix),
            let nested = NestedTypeParser.parse(trimmed.dropFirst(nestedPrefix.count)), nested.isNested
        {
            return nested
        }
        let t = trimmed.uppercased()
        let base = t.split(separator: "(").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? t
        let params = parameters(t)
        if base.hasPrefix("BOOL") { return .boolean }
        if base.hasPrefix("TIMESTAMPTZ") || base.hasPrefix("TIMESTAMP WITH TIME ZONE") || base == "DATETIMETZ" {
            return .timestampTZ
        }
        if base.hasPrefix("TIMESTAMP") || base.hasPrefix("DATETIME") { return .timestamp }
        if base == "DATE" { return .date }
        if base == "TIME" || base.hasPrefix("TIME WITHOUT") { return .time }
        if base == "UUID" { return .uuid }
        if base.hasPrefix("JSONB") { return .jsonb }
        if base.hasPrefix("JSON") { return .json }
        if base.hasPrefix("DECIMAL") || base.hasPrefix("NUMERIC") || base == "DEC" {
            if params.count == 2, params[0] >= 1, params[0] <= 38, params[1] >= 0, params[1] <= params[0] {
                return .decimal(precision: params[0], scale: params[1])
            }
            if params.count == 1, params[0] >= 1, params[0] <= 38 { return .decimal(precision: params[0], scale: 0) }
            return .numeric
        }
        if base.contains("INT") {
            if base == "SMALLINT" || base == "INT2" || base == "TINYINT" { return .int16 }
            if base == "INT" || base == "INT4" || base == "MEDIUMINT" { return .int32 }
            return .int64
        }
        if base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT") { return .text }
        if base.contains("BLOB") || base == "BYTEA" || base == "BINARY" || base == "VARBINARY" { return .bytes }
        if base == "FLOAT4" { return .float32 }
        if base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB") { return .float64 }
        return .text
    }

    private static func parameters(_ t: String) -> [Int] {
        guard let open = t.firstIndex(of: "("), let close = t.firstIndex(of: ")"), open < close else { return [] }
        return t[t.index(after: open)..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
