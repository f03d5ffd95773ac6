import DeltaLake
import FerryCore

/// How Ferry's column types are stored in Delta tables (and which Parquet types carry them).
///
/// Delta has no uuid, json, time or unbounded numeric type: those travel as strings, losslessly, and the field's
/// metadata keeps `ferry.type` so that Ferry reads its own tables back with the original types. Other source
/// types Ferry carries as text (PostgreSQL enums, ranges, intervals, ...) keep their native type there too
/// (`"ferry.type": "interval"`), read back into `Column.nativeType`, so a copy out of the lake can restore it.
/// Lists are Delta arrays (`containsNull: true`), structures Delta structs of nullable fields.
enum DeltaTypeMapping {
    static let ferryTypeKey = "ferry.type"

    static func deltaType(_ type: ColumnType) -> DeltaType {
        switch type {
        case .boolean: .boolean
        case .int16: .short
        case .int32: .integer
        case .int64: .long
        case .float32: .float
        case .float64: .double
        case .decimal(let p, let s): .decimal(precision: p, scale: s)
        case .numeric, .text, .uuid, .json, .jsonb, .time: .string
        case .bytes: .binary
        case .date: .date
        case .timestamp: .timestampNtz
        case .timestampTZ: .timestamp
        case .list(let element): .array(element: deltaType(element), containsNull: true)
        case .structure(let fields):
            .struct(
                StructType(
                    fields: fields.map {
                        DeltaLake.StructField(
                            name: $0.name, type: deltaType($0.type), nullable: true, metadata: metadata($0.type))
                    }))
        }
    }

    /// `ferry.type` for the Ferry types Delta stores as strings; empty for the others.
    static func metadata(_ type: ColumnType) -> [String: JSONValue] {
        switch type {
        case .numeric, .uuid, .json, .jsonb, .time: [ferryTypeKey: .string(type.description)]
        default: [:]
        }
    }

    /// Native types that say no more than `text` (or Delta's `string`): not worth keeping in the metadata.
    private static let plainText: Set<String> = ["text", "string"]

    static func field(_ column: Column) -> DeltaLake.StructField {
        var metadata = metadata(column.type)
        // A text-carried or nested column keeps its source's native type (`interval`, `mood`, `integer[]`), so a
        // copy out of the lake can restore it; the Ferry types above keep their own name, which Ferry reads back.
        if metadata.isEmpty, column.type == .text || column.type.isNested, let native = column.nativeType,
            !plainText.contains(native.lowercased())
        {
            metadata[ferryTypeKey] = .string(native)
        }
        return DeltaLake.StructField(
            name: column.name, type: deltaType(column.type), nullable: column.nullable, metadata: metadata)
    }

    static func structType(_ schema: TableSchema) -> StructType {
        StructType(fields: schema.columns.map(field))
    }

    /// The Ferry type of a Delta field, or `nil` for types Ferry does not replicate (maps, and arrays or structs
    /// holding one).
    static func columnType(_ field: DeltaLake.StructField) -> ColumnType? {
        if case .string(let t)? = field.metadata[ferryTypeKey] {
            switch t {
            case "numeric": return .numeric
            case "uuid": return .uuid
            case "json": return .json
            case "jsonb": return .jsonb
            case "time": return .time
            default: break
            }
        }
        return columnType(field.type)
    }

    /// The Ferry type of a Delta type (an array element's, a struct field's without metadata).
    static func columnType(_ type: DeltaType) -> ColumnType? {
        switch type {
        case .boolean: return .boolean
        case .byte, .short: return .int16
        case .integer: return .int32
        case .long: return .int64
        case .float: return .float32
        case .double: return .float64
        case .decimal(let p, let s): return .decimal(precision: p, scale: s)
        case .string: return .text
        case .binary: return .bytes
        case .date: return .date
        case .timestamp: return .timestampTZ
        case .timestampNtz: return .timestamp
        case .array(let element, _): return columnType(element).map { .list($0) }
        case .struct(let s):
            var fields: [FerryCore.StructField] = []
            for f in s.fields {
                guard let type = columnType(f) else { return nil }
                fields.append(FerryCore.StructField(name: f.name, type: type))
            }
            return fields.isEmpty ? nil : .structure(fields)
        case .map: return nil
        }
    }

    /// The table schema of a Delta table; the primary key lives in the table configuration (`ferry.primaryKey`).
    /// A column's native type is its `ferry.type` when it has one (`interval`, `numeric`), else the Delta type.
    static func tableSchema(_ s: StructType, configuration: [String: String]) -> TableSchema {
        let columns = s.fields.map { f in
            var native = "\(f.type)"
            if case .string(let t)? = f.metadata[ferryTypeKey] { native = t }
            return Column(name: f.name, type: columnType(f) ?? .text, nullable: f.nullable, nativeType: native)
        }
        let pk = configuration[primaryKeyKey].map { $0.split(separator: ",").map(String.init) } ?? []
        return TableSchema(columns: columns, primaryKey: pk)
    }

    static let primaryKeyKey = "ferry.primaryKey"
}
