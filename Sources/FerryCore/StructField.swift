/// One field of a `ColumnType.structure`: a PostgreSQL composite's attribute, a Parquet group's child, a Delta
/// `struct` field.
///
/// Fields are matched by position between a source and a target (a composite's values arrive in field order), so
/// the name is carried for DDL and messages, and the type for decoding and for `widens(to:)`.
public struct StructField: Sendable, Hashable {
    public var name: String
    public var type: ColumnType

    public init(name: String, type: ColumnType) {
        self.name = name
        self.type = type
    }
}
