import DeltaLake
import FerryCore

/// How Ferry's column types are stored in Delta tables (and which Parquet types carry them).
///
/// Delta has no uuid, json, time or unbounded numeric type: those travel as strings, losslessly, and the field's
/// metadata keeps `ferry.type` so that Ferry reads its own tables back with the original types.
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
        // Nested columns are refused before anything is written (`TableSchema.rejectNestedColumns`).
        case .list, .structure: .string
        }
    }

    static func field(_ column: Column) -> DeltaLake.StructField {
        var metadata: [String: JSONValue] = [:]
        switch column.type {
        case .numeric, .uuid, .json, .jsonb, .time: metadata[ferryTypeKey] = .string(column.type.description)
        default: break
        }
        return DeltaLake.StructField(
            name: column.name, type: deltaType(column.type), nullable: column.nullable, metadata: metadata)
    }

    static func structType(_ schema: TableSchema) -> StructType {
        StructType(fields: schema.columns.map(field))
    }

    /// The Ferry type of a Delta field, or `nil` for types Ferry does not replicate (arrays, maps, structs, byte).
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
        switch field.type {
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
        case .array, .map, .struct: return nil
        }
    }

    /// The table schema of a Delta table; the primary key lives in the table configuration (`ferry.primaryKey`).
    static func tableSchema(_ s: StructType, configuration: [String: String]) -> TableSchema {
        let columns = s.fields.map { f in
            Column(name: f.name, type: columnType(f) ?? .text, nullable: f.nullable, nativeType: "\(f.type)")
        }
        let pk = configuration[primaryKeyKey].map { $0.split(separator: ",").map(String.init) } ?? []
        return TableSchema(columns: columns, primaryKey: pk)
    }

    static let primaryKeyKey = "ferry.primaryKey"
}
