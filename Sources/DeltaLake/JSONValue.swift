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

    public static func decode(_ data: Data, version: Int64) throws(DeltaError) -> [Action] {
        let decoder = JSONDecoder()
        var actions: [Action] = []
        var lineNumber = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                actions.append(try decoder.decode(Action.self, from: Data(line)))
            } catch {
                throw DeltaError(
                    .corruptLog,
                    "commit \(version) line \(lineNumber) is not a valid action (\(error)); the log may be torn")
            }
        }
        return actions
    }
}
