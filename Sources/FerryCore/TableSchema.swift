/// A column of a table: its name, logical type and nullability.
public struct Column: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var nullable: Bool
    /// The type as the source database spelled it (for messages and for recreating the same type on a like target).
    public var nativeType: String?

    public init(name: String, type: ColumnType, nullable: Bool = true, nativeType: String? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.nativeType = nativeType
    }
}

/// A secondary index to recreate on the target.
public struct IndexSpec: Sendable, Hashable {
    public var name: String
    public var columns: [String]
    public var unique: Bool

    public init(name: String, columns: [String], unique: Bool) {
        self.name = name
        self.columns = columns
        self.unique = unique
    }
}

/// The shape of a table: columns in order, primary key and indexes.
public struct TableSchema: Sendable, Hashable {
    public var columns: [Column]
    public var primaryKey: [String]
    public var indexes: [IndexSpec]

    public init(columns: [Column], primaryKey: [String] = [], indexes: [IndexSpec] = []) {
        self.columns = columns
        self.primaryKey = primaryKey
        self.indexes = indexes
    }

    public func column(named name: String) -> Column? {
        columns.first { $0.name == name }
    }

    public func index(of name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

/// A possibly schema-qualified table name such as `public.orders`.
public struct TableName: Sendable, Hashable, CustomStringConvertible {
    public var schema: String?
    public var name: String

    public init(schema: String? = nil, name: String) {
        self.schema = schema
        self.name = name
    }

    /// Parses `name` or `schema.name`.
    public init(parsing text: String) {
        if let dot = text.firstIndex(of: ".") {
            self.schema = String(text[..<dot])
            self.name = String(text[text.index(after: dot)...])
        } else {
            self.schema = nil
            self.name = text
        }
    }

    public var description: String {
        if let schema { return "\(schema).\(name)" }
        return name
    }
}
