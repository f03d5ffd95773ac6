import Foundation

/// A Delta column type, as spelled in `schemaString`.
public indirect enum DeltaType: Sendable, Hashable {
    case string, long, integer, short, byte, float, double, boolean, binary, date, timestamp, timestampNtz
    case decimal(precision: Int, scale: Int)
    case array(element: DeltaType, containsNull: Bool)
    case map(key: DeltaType, value: DeltaType, valueContainsNull: Bool)
    case `struct`(StructType)

    var jsonValue: Any {
        switch self {
        case .string: return "string"
        case .long: return "long"
        case .integer: return "integer"
        case .short: return "short"
        case .byte: return "byte"
        case .float: return "float"
        case .double: return "double"
        case .boolean: return "boolean"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp: return "timestamp"
        case .timestampNtz: return "timestamp_ntz"
        case .decimal(let p, let s): return "decimal(\(p),\(s))"
        case .array(let e, let n):
            return ["type": "array", "elementType": e.jsonValue, "containsNull": n] as [String: Any]
        case .map(let k, let v, let n):
            return ["type": "map", "keyType": k.jsonValue, "valueType": v.jsonValue, "valueContainsNull": n]
                as [String: Any]
        case .struct(let s): return s.jsonObject
        }
    }

    init(json: Any) throws(DeltaError) {
        if let s = json as? String {
            switch s {
            case "string": self = .string
            case "long": self = .long
            case "integer": self = .integer
            case "short": self = .short
            case "byte": self = .byte
            case "float": self = .float
            case "double": self = .double
            case "boolean": self = .boolean
            case "binary": self = .binary
            case "date": self = .date
            case "timestamp": self = .timestamp
            case "timestamp_ntz": self = .timestampNtz
            default:
                if s.hasPrefix("decimal("), s.hasSuffix(")") {
                    let parts = s.dropFirst(8).dropLast().split(separator: ",").compactMap {
                        Int($0.trimmingCharacters(in: .whitespaces))
                    }
                    if parts.count == 2 {
                        self = .decimal(precision: parts[0], scale: parts[1])
                        return
                    }
                }
                throw DeltaError(.unsupportedFeature, "unsupported Delta column type '\(s)'")
            }
            return
        }
        guard let o = json as? [String: Any], let type = o["type"] as? String else {
            throw DeltaError(.schema, "invalid type in schemaString: \(json)")
        }
        switch type {
        case "array":
            guard let e = o["elementType"] else { throw DeltaError(.schema, "array type without elementType") }
            self = .array(element: try DeltaType(json: e), containsNull: o["containsNull"] as? Bool ?? true)
        case "map":
            guard let k = o["keyType"], let v = o["valueType"] else {
                throw DeltaError(.schema, "map type without key or value type")
            }
            self = .map(
                key: try DeltaType(json: k), value: try DeltaType(json: v),
                valueContainsNull: o["valueContainsNull"] as? Bool ?? true)
        case "struct":
            self = .struct(try StructType(object: o))
        default:
            throw DeltaError(.unsupportedFeature, "unsupported Delta column type '\(type)'")
        }
    }

    /// Whether a column of type `self` may be changed to `other` with old files still readable as is.
    public func widens(to other: DeltaType) -> Bool {
        if self == other { return true }
        switch (self, other) {
        case (.byte, .short), (.byte, .integer), (.byte, .long), (.short, .integer), (.short, .long), (.integer, .long):
            return true
        default:
            return false
        }
    }
}

/// A Delta schema field.
public struct StructField: Sendable, Hashable {
    public var name: String
    public var type: DeltaType
    public var nullable: Bool
    public var metadata: [String: JSONValue]

    public init(name: String, type: DeltaType, nullable: Bool = true, metadata: [String: JSONValue] = [:]) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.metadata = metadata
    }
}

/// A Delta schema: the parsed `schemaString`.
public struct StructType: Sendable, Hashable {
    public var fields: [StructField]

    public init(fields: [StructField]) {
        self.fields = fields
    }

    public init(json: String) throws(DeltaError) {
        guard let data = json.data(using: .utf8),
            let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw DeltaError(.schema, "schemaString is not a JSON object")
        }
        try self.init(object: o)
    }

    init(object o: [String: Any]) throws(DeltaError) {
        guard let fields = o["fields"] as? [[String: Any]] else {
            throw DeltaError(.schema, "struct type without fields")
        }
        var out: [StructField] = []
        for f in fields {
            guard let name = f["name"] as? String, let t = f["type"] else {
                throw DeltaError(.schema, "schema field without name or type")
            }
            var metadata: [String: JSONValue] = [:]
            if let m = f["metadata"] as? [String: Any], !m.isEmpty,
                let data = try? JSONSerialization.data(withJSONObject: m),
                let decoded = try? JSONDecoder().decode([String: JSONValue].self, from: data)
            {
                metadata = decoded
            }
            out.append(
                StructField(
                    name: name, type: try DeltaType(json: t), nullable: f["nullable"] as? Bool ?? true,
                    metadata: metadata))
        }
        self.fields = out
    }

    var jsonObject: [String: Any] {
        [
            "type": "struct",
            "fields": fields.map { f -> [String: Any] in
                var meta: Any = [String: Any]()
                if !f.metadata.isEmpty, let data = try? JSONEncoder().encode(f.metadata),
                    let o = try? JSONSerialization.jsonObject(with: data)
                {
                    meta = o
                }
                return ["name": f.name, "type": f.type.jsonValue, "nullable": f.nullable, "metadata": meta]
            },
        ]
    }

    /// The `schemaString` form.
    public var json: String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: jsonObject, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{\"type\":\"struct\",\"fields\":[]}" }
        return String(decoding: data, as: UTF8.self)
    }

    public func field(named name: String) -> StructField? {
        fields.first { $0.name == name }
    }

    /// Whether any field (at any depth) uses `timestamp_ntz`, which needs the `timestampNtz` table feature.
    public var usesTimestampNtz: Bool {
        func uses(_ t: DeltaType) -> Bool {
            switch t {
            case .timestampNtz: return true
            case .array(let e, _): return uses(e)
            case .map(let k, let v, _): return uses(k) || uses(v)
            case .struct(let s): return s.usesTimestampNtz
            default: return false
            }
        }
        return fields.contains { uses($0.type) }
    }
}

/// Per-file statistics, as engines use them to skip files.
public struct FileStats: Sendable, Hashable, Codable {
    public var numRecords: Int64
    public var minValues: [String: JSONValue]?
    public var maxValues: [String: JSONValue]?
    public var nullCount: [String: JSONValue]?
    public var tightBounds: Bool?

    public init(
        numRecords: Int64, minValues: [String: JSONValue]? = nil, maxValues: [String: JSONValue]? = nil,
        nullCount: [String: JSONValue]? = nil, tightBounds: Bool? = nil
    ) {
        self.numRecords = numRecords
        self.minValues = minValues
        self.maxValues = maxValues
        self.nullCount = nullCount
        self.tightBounds = tightBounds
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
