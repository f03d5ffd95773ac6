/// The logical type of a column as Ferry carries it between databases.
///
/// Every connector maps its native types onto this small set and back, so that a value read from one database is
/// written to another without passing through an untyped representation. Values that have no exact mapping travel
/// as their text form (`text`), which never loses information.
public enum ColumnType: Sendable, Hashable {
    case boolean
    case int16
    case int32
    case int64
    case float32
    case float64
    /// Fixed precision decimal, held as an unscaled `Int128`; precision at most 38.
    case decimal(precision: Int, scale: Int)
    /// Unconstrained numeric (or precision above 38): held as its canonical decimal text, so nothing is rounded.
    case numeric
    case text
    case bytes
    /// 16 raw bytes.
    case uuid
    case json
    case jsonb
    /// Days since 1970-01-01.
    case date
    /// Microseconds since midnight.
    case time
    /// Microseconds since 1970-01-01 00:00:00, no time zone.
    case timestamp
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    case timestampTZ
    /// A one-dimensional array whose elements are of the given type and may each be NULL (a PostgreSQL array, a
    /// Parquet LIST, a Delta `array`). Stored as offsets into one child vector of all rows' elements.
    indirect case list(ColumnType)
    /// A record of named, typed fields, each of which may be NULL (a PostgreSQL composite, a Delta `struct`).
    /// Stored as one child vector per field. Has at least one field.
    case structure([StructField])

    /// The physical storage a column of this type uses in a `ColumnVector`.
    public var storage: ColumnStorageKind {
        switch self {
        case .boolean: .boolean
        case .int16, .int32, .int64, .date, .time, .timestamp, .timestampTZ: .int64
        case .float32, .float64: .float64
        case .decimal: .decimal
        case .numeric, .text, .bytes, .uuid, .json, .jsonb: .bytes
        case .list: .list
        case .structure: .structure
        }
    }

    /// Whether the type holds other values (a list or a structure): connectors without nested support check this
    /// to fail with a clear message instead of writing something wrong.
    public var isNested: Bool {
        switch self {
        case .list, .structure: true
        default: false
        }
    }

    /// Whether values of `self` can be stored in a column of type `other` without loss.
    public func widens(to other: ColumnType) -> Bool {
        if self == other { return true }
        switch (self, other) {
        case (.int16, .int32), (.int16, .int64), (.int32, .int64): return true
        case (.float32, .float64), (.int16, .float64), (.int32, .float64): return true
        case (.json, .jsonb), (.jsonb, .json): return true
        case (.decimal(let p1, let s1), .decimal(let p2, let s2)): return s2 >= s1 && (p2 - s2) >= (p1 - s1)
        case (.decimal, .numeric), (.int16, .numeric), (.int32, .numeric), (.int64, .numeric): return true
        case (.list(let a), .list(let b)): return a.widens(to: b)
        case (.structure(let a), .structure(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.type.widens(to: $1.type) }
        // Into text, a nested value is written as its text form (a PostgreSQL array or record literal).
        case (.list, .text), (.structure, .text): return true
        case (_, .text): return self.storage == .bytes && self != .bytes
        default: return false
        }
    }
}

/// How a column's values are laid out in memory.
public enum ColumnStorageKind: Sendable, Hashable {
    case boolean
    case int64
    case float64
    case decimal
    case bytes
    /// `ColumnVector.Values.list`: offsets plus one child vector of elements.
    case list
    /// `ColumnVector.Values.structure`: one child vector per field.
    case structure
}

extension ColumnType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .boolean: "boolean"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        case .decimal(let p, let s): "decimal(\(p),\(s))"
        case .numeric: "numeric"
        case .text: "text"
        case .bytes: "bytes"
        case .uuid: "uuid"
        case .json: "json"
        case .jsonb: "jsonb"
        case .date: "date"
        case .time: "time"
        case .timestamp: "timestamp"
        case .timestampTZ: "timestamptz"
        case .list(let element): "list<\(element)>"
        case .structure(let fields): "struct<" + fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ">"
        }
    }
}
