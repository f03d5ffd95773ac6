import Foundation

/// Any JSON value, for the parts of the log that are free-form (commitInfo, unknown actions, stats).
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        default: return nil
        }
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Action: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: DynamicKey.self)
        guard let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "empty action"))
        }
        switch key.stringValue {
        case "protocol": self = .protocol(try c.decode(ProtocolAction.self, forKey: key))
        case "metaData": self = .metadata(try c.decode(MetadataAction.self, forKey: key))
        case "add": self = .add(try c.decode(AddFile.self, forKey: key))
        case "remove": self = .remove(try c.decode(RemoveFile.self, forKey: key))
        case "txn": self = .txn(try c.decode(SetTransaction.self, forKey: key))
        case "commitInfo":
            let v = try c.decode(JSONValue.self, forKey: key)
            if case .object(let o) = v { self = .commitInfo(o) } else { self = .commitInfo([:]) }
        default: self = .other(name: key.stringValue, value: try c.decode(JSONValue.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: DynamicKey.self)
        switch self {
        case .protocol(let p): try c.encode(p, forKey: DynamicKey("protocol"))
        case .metadata(let m): try c.encode(m, forKey: DynamicKey("metaData"))
        case .add(let a): try c.encode(a, forKey: DynamicKey("add"))
        case .remove(let r): try c.encode(r, forKey: DynamicKey("remove"))
        case .txn(let t): try c.encode(t, forKey: DynamicKey("txn"))
        case .commitInfo(let o): try c.encode(o, forKey: DynamicKey("commitInfo"))
        case .other(let name, let value): try c.encode(value, forKey: DynamicKey(name))
        }
    }
}

/// Reads and writes commit files: newline-delimited JSON, one action per line.
public enum CommitCodec {
    public static func encode(_ actions: [Action]) throws(DeltaError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var out = Data()
        for action in actions {
            do {
                out.append(try encoder.encode(action))
            } catch {
                throw DeltaError(.io, "cannot encode a \(action) action: \(error)")
            }
            out.append(0x0A)
        }
        return out
    }

    /// The actions of commit `version` of `table` (its root, for messages), one per line.
    /// - Throws: `corruptLog` for a line that is not a valid action, naming the commit file, the line and the byte
    ///   it starts at, and what is wrong with it (a last line cut short is reported as a truncated file).
    public static func decode(_ data: Data, version: Int64, table: String? = nil) throws(DeltaError) -> [Action] {
        let decoder = JSONDecoder()
        var actions: [Action] = []
        let bytes = [UInt8](data)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 0x0A)
            let end = newline ?? bytes.count
            lineNumber += 1
            defer { start = end + 1 }
            let line = bytes[start..<end]
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                actions.append(try decoder.decode(Action.self, from: Data(line)))
            } catch {
                let problem =
                    newline == nil && isCutShort(line)
                    ? "ends in the middle of an action: the file is truncated"
                    : "is not a valid action (\(describe(error)))"
                throw DeltaError(
                    .corruptLog,
                    "commit \(version) (\(fileName(version))) line \(lineNumber), starting at byte \(start), \(problem); "
                        + "the commit file is damaged and no Delta reader can read the table past it: restore it from a "
                        + "backup or copy of the table", table: table)
            }
        }
        return actions
    }

    /// Whether `line` stops inside a string, object or array: what a write cut short leaves.
    static func isCutShort(_ line: ArraySlice<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in line {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x22: inString = true
            case 0x7B, 0x5B: depth += 1
            case 0x7D, 0x5D: depth -= 1
            default: break
            }
        }
        return inString || depth > 0
    }

    /// The name of commit `version`'s file, relative to the table root.
    static func fileName(_ version: Int64) -> String {
        "_delta_log/" + LogFileName.padded(version, width: 20) + ".json"
    }

    /// What is wrong with a line, in words rather than Swift's error types.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the action" : "\"" + keys.map(\.stringValue).joined(separator: ".") + "\""
        }
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)) is malformed"
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath)) lacks \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context):
            return "\(path(context.codingPath)) has the wrong type"
        case DecodingError.valueNotFound(_, let context):
            return "\(path(context.codingPath)) is null"
        default:
            return "unreadable"
        }
    }
}
