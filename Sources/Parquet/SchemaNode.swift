/// One node of a nested schema: a primitive column, a struct, a list or a map.
///
/// Delta Lake checkpoints (structs of maps and lists) need nesting; flat tables use ``ParquetSchema``. Lists and
/// maps are written in the standard three-level layout of LogicalTypes.md, which every current reader expects:
/// `<list> (LIST) { repeated group list { <element> } }` and
/// `<map> (MAP) { repeated group key_value { required <key>; <value> } }`.
public indirect enum SchemaNode: Hashable, Sendable {
    /// A leaf column; `field.nullable` makes it OPTIONAL.
    case primitive(ParquetField)
    /// A struct with the given fields.
    case group(name: String, nullable: Bool, children: [SchemaNode])
    /// A list; the element node's own name is ignored (it is written as `element`).
    case list(name: String, nullable: Bool, element: SchemaNode)
    /// A map; the key must not be nullable. Node names of key and value are ignored (`key`, `value`).
    case map(name: String, nullable: Bool, key: SchemaNode, value: SchemaNode)

    public var name: String {
        switch self {
        case .primitive(let field): field.name
        case .group(let name, _, _), .list(let name, _, _), .map(let name, _, _, _): name
        }
    }

    public var nullable: Bool {
        switch self {
        case .primitive(let field): field.nullable
        case .group(_, let nullable, _), .list(_, let nullable, _), .map(_, let nullable, _, _): nullable
        }
    }
}

/// One entry of a ``ParquetValue/map(_:)``.
public struct MapEntry: Hashable, Sendable {
    public var key: ParquetValue
    public var value: ParquetValue

    public init(key: ParquetValue, value: ParquetValue) {
        self.key = key
        self.value = value
    }
}

/// A value of a nested row, for ``ParquetWriter/write(rows:)`` and ``ParquetReader/readRows(rowGroup:columns:)``.
///
/// Row-at-a-time values are slower than the columnar ``ColumnBatch`` API and meant for small, nested files such
/// as Delta Lake checkpoints.
public indirect enum ParquetValue: Hashable, Sendable {
    case null
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    /// BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY without a text annotation.
    case bytes([UInt8])
    /// BYTE_ARRAY annotated STRING, JSON or ENUM (the writer also accepts it for any BYTE_ARRAY).
    case string(String)
    /// A struct: one value per child, in schema order.
    case group([ParquetValue])
    case list([ParquetValue])
    case map([MapEntry])
}
