public import FerryCore

/// PostgreSQL types as Ferry sees them: which OIDs travel in their binary send format, what `ColumnType` each maps
/// to, and the DDL type Ferry creates for each `ColumnType`.
///
/// Everything not listed travels as its text form (`col::text`), which never loses information and needs no
/// per-type binary decoder.
public enum PostgresTypes {
    // Built-in type OIDs (pg_type.dat); stable across versions.
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let json: UInt32 = 114
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let date: UInt32 = 1082
    static let time: UInt32 = 1083
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
    static let uuid: UInt32 = 2950
    static let jsonb: UInt32 = 3802

    /// Types whose binary send/recv format Ferry reads and writes directly.
    static let binaryOIDs: Set<UInt32> = [
        bool, bytea, name, int8, int2, int4, text, json, float4, float8, bpchar, varchar, date, time, timestamp,
        timestamptz, numeric, uuid, jsonb,
    ]

    /// Text-like types: their binary format is the raw UTF-8 text.
    static let textOIDs: Set<UInt32> = [text, varchar, bpchar, name]

    /// The Ferry type of a column of type `oid` with modifier `typmod`, and whether it must be read as `col::text`.
    public static func columnType(oid: UInt32, typmod: Int32) -> (type: ColumnType, readAsText: Bool) {
        switch oid {
        case bool: return (.boolean, false)
        case int2: return (.int16, false)
        case int4: return (.int32, false)
        case int8: return (.int64, false)
        case float4: return (.float32, false)
        case float8: return (.float64, false)
        case numeric:
            if let (p, s) = numericPrecisionScale(typmod: typmod), p <= 38, s >= 0, s <= p {
                return (.decimal(precision: p, scale: s), false)
            }
            return (.numeric, false)
        case text, varchar, bpchar, name: return (.text, false)
        case bytea: return (.bytes, false)
        case uuid: return (.uuid, false)
        case json: return (.json, false)
        case jsonb: return (.jsonb, false)
        case date: return (.date, false)
        case time: return (.time, false)
        case timestamp: return (.timestamp, false)
        case timestamptz: return (.timestampTZ, false)
        default: return (.text, true)
        }
    }

    /// Precision and scale of a `numeric` typmod; `nil` when unconstrained (−1). Scale may be negative or exceed
    /// the precision since PostgreSQL 15.
    public static func numericPrecisionScale(typmod: Int32) -> (precision: Int, scale: Int)? {
        guard typmod >= 4 else { return nil }
        let t = Int(typmod) - 4
        let precision = (t >> 16) & 0xFFFF
        let scale = ((t & 0x7FF) ^ 1024) - 1024
        return (precision, scale)
    }

    /// The DDL type Ferry creates for `type`.
    public static func ddlType(for type: ColumnType) -> String {
        switch type {
        case .boolean: "boolean"
        case .int16: "smallint"
        case .int32: "integer"
        case .int64: "bigint"
        case .float32: "real"
        case .float64: "double precision"
        case .decimal(let p, let s): "numeric(\(p),\(s))"
        case .numeric: "numeric"
        case .text: "text"
        case .bytes: "bytea"
        case .uuid: "uuid"
        case .json: "json"
        case .jsonb: "jsonb"
        case .date: "date"
        case .time: "time"
        case .timestamp: "timestamp"
        case .timestampTZ: "timestamptz"
        case .list(let element): ddlType(for: element) + "[]"
        // A composite needs a type in the target; without one the value is kept as its record literal.
        case .structure: "text"
        }
    }

    /// The DDL type for a column: its PostgreSQL native type when that is one of the types Ferry creates anyway
    /// (so `numeric(50,4)` or `timestamp(3) with time zone` survive a PG→PG copy) and it maps to the same Ferry type
    /// (so a SQLite `integer`, which Ferry reads as int64, is not recreated as a 32-bit column); otherwise
    /// `ddlType(for:)`.
    public static func ddlType(for column: Column) -> String {
        ddl(for: column, nativeTypes: [:]).ddl
    }

    /// The DDL type for a column and whether its values are written through a text cast: as `ddlType(for:)`, and
    /// also the column's native spelling when `nativeTypes` (what the target's catalog resolves that spelling to,
    /// `PostgresDestination.nativeTypes`) says the target has it and it holds the column's values: a text column
    /// whose type Ferry does not map (`interval`, `inet`, `int4range`, an enum; cast from text), or a list or
    /// structure of the same Ferry type (`posint[]`, a composite).
    static func ddl(
        for column: Column, nativeTypes: [String: (type: ColumnType, form: PGValueForm)]
    ) -> (
        ddl: String, viaText: Bool
    ) {
        if let native = column.nativeType {
            if let parsed = parseNativeType(native), parsed.type == column.type { return (parsed.ddl, false) }
            if case .list(let element) = column.type, native.hasSuffix("[]"),
                let parsed = parseNativeType(String(native.dropLast(2))), parsed.type == element
            {
                return (parsed.ddl + "[]", false)
            }
            if let resolved = nativeTypes[native] {
                let fits =
                    column.type == .text
                    ? resolved.type == .text && resolved.form != .native : resolved.type == column.type
                if fits && (column.type == .text || column.type.isNested) {
                    return (native, !resolved.form.binaryWritable)
                }
                // A lake keeps the elements of a `uuid[]` (or json, jsonb, numeric ones) as strings: the encoder
                // parses them into the native type's binary form (time only through a text cast).
                if column.type.isNested, resolved.type.isNested, column.type == textual(resolved.type) {
                    return (native, !resolved.form.binaryWritable)
                }
            }
        }
        return (ddlType(for: column.type), false)
    }

    /// `type` with the leaves a Delta table stores as strings (uuid, json, jsonb, time, numeric) as `text`.
    static func textual(_ type: ColumnType) -> ColumnType {
        switch type {
        case .uuid, .json, .jsonb, .time, .numeric: .text
        case .list(let element): .list(textual(element))
        case .structure(let fields): .structure(fields.map { StructField(name: $0.name, type: textual($0.type)) })
        default: type
        }
    }

    /// Whether `text` may be looked up as a type name: the characters of a type name and nothing that could end
    /// the DDL it goes into. What is used is only ever a spelling the server resolved to a type.
    static func isTypeNameCandidate(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200 && !text.contains("--") && !text.contains("/*")
            && text.unicodeScalars.allSatisfy { c in
                c.properties.isAlphabetic || ("0"..."9").contains(c) || " _.,()[]\"$".unicodeScalars.contains(c)
            }
    }

    /// Recognizes `format_type()` spellings of the types Ferry creates; `nil` for anything else.
    static func parseNativeType(_ text: String) -> (ddl: String, type: ColumnType)? {
        let t = text.lowercased().trimmedSpaces()
        switch t {
        case "boolean": return (t, .boolean)
        case "smallint": return (t, .int16)
        case "integer": return (t, .int32)
        case "bigint": return (t, .int64)
        case "real": return (t, .float32)
        case "double precision": return (t, .float64)
        case "numeric": return (t, .numeric)
        case "text": return (t, .text)
        case "bytea": return (t, .bytes)
        case "uuid": return (t, .uuid)
        case "json": return (t, .json)
        case "jsonb": return (t, .jsonb)
        case "date": return (t, .date)
        case "time without time zone": return (t, .time)
        case "timestamp without time zone": return (t, .timestamp)
        case "timestamp with time zone": return (t, .timestampTZ)
        default: break
        }
        if let args = parenthesized(t, prefix: "numeric(", suffix: ")") {
            let parts = args.split(separator: ",").map { Int(String($0).trimmedSpaces()) }
            guard parts.count == 2, let p = parts[0], let s = parts[1], p >= 1, p <= 1000 else { return nil }
            let type: ColumnType = p <= 38 && s >= 0 && s <= p ? .decimal(precision: p, scale: s) : .numeric
            return ("numeric(\(p),\(s))", type)
        }
        for (prefix, suffix, type) in [
            ("time(", ") without time zone", ColumnType.time),
            ("timestamp(", ") without time zone", .timestamp),
            ("timestamp(", ") with time zone", .timestampTZ),
        ] {
            if let args = parenthesized(t, prefix: prefix, suffix: suffix), let n = Int(args), (0...6).contains(n) {
                return (t, type)
            }
        }
        return nil
    }

    private static func parenthesized(_ text: String, prefix: String, suffix: String) -> String? {
        guard text.hasPrefix(prefix), text.hasSuffix(suffix), text.count > prefix.count + suffix.count else {
            return nil
        }
        return String(text.dropFirst(prefix.count).dropLast(suffix.count))
    }
}

extension String {
    fileprivate func trimmedSpaces() -> String {
        var s = self[...]
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
