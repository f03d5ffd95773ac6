import FerryCore
import Foundation
import GRDBSQLite

/// Decodes one SQLite cell into a typed column, accepting the storage classes a hand-made SQLite database really
/// holds (a REAL in a DECIMAL column, an INTEGER of Unix seconds in a TIMESTAMP column, `'t'` in a BOOLEAN column).
enum SQLiteValueReader {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func append(
        _ stmt: OpaquePointer, _ i: Int32, type: ColumnType, to vector: inout ColumnVector
    ) throws(Failure) {
        let storage = sqlite3_column_type(stmt, i)
        if storage == SQLITE_NULL {
            vector.appendNull()
            return
        }
        switch type {
        case .boolean:
            switch storage {
            case SQLITE_INTEGER: vector.append(sqlite3_column_int64(stmt, i) != 0)
            case SQLITE_FLOAT: vector.append(sqlite3_column_double(stmt, i) != 0)
            default:
                let s = text(stmt, i).lowercased()
                if ["1", "t", "true", "y", "yes", "on"].contains(s) {
                    vector.append(true)
                } else if ["0", "f", "false", "n", "no", "off"].contains(s) {
                    vector.append(false)
                } else {
                    throw Failure(message: "'\(s)' is not a boolean")
                }
            }
        case .int16, .int32, .int64:
            let v: Int64
            switch storage {
            case SQLITE_INTEGER: v = sqlite3_column_int64(stmt, i)
            case SQLITE_FLOAT:
                let d = sqlite3_column_double(stmt, i)
                guard d.rounded() == d, let x = Int64(exactly: d) else {
                    throw Failure(message: "\(d) is not an integer")
                }
                v = x
            default:
                let s = text(stmt, i)
                guard let x = Int64(s.trimmingCharacters(in: .whitespaces)) else {
                    throw Failure(message: "'\(s)' is not an integer")
                }
                v = x
            }
            let (lo, hi): (Int64, Int64) =
                switch type {
                case .int16: (Int64(Int16.min), Int64(Int16.max))
                case .int32: (Int64(Int32.min), Int64(Int32.max))
                default: (Int64.min, Int64.max)
                }
            guard v >= lo && v <= hi else { throw Failure(message: "\(v) does not fit in \(type)") }
            vector.append(v)
        case .float32, .float64:
            switch storage {
            case SQLITE_INTEGER, SQLITE_FLOAT: vector.append(sqlite3_column_double(stmt, i))
            case SQLITE_BLOB where sqlite3_column_bytes(stmt, i) == 8:
                // A float SQLite cannot hold as a REAL (`-0.0`), as `SQLiteValueWriter` stores it: its IEEE bits.
                var bits: UInt64 = 0
                if let p = sqlite3_column_blob(stmt, i) {
                    for k in 0..<8 { bits = bits << 8 | UInt64(p.load(fromByteOffset: k, as: UInt8.self)) }
                }
                vector.append(Double(bitPattern: bits))
            default:
                let s = text(stmt, i)
                guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else {
                    throw Failure(message: "'\(s)' is not a number")
                }
                vector.append(d)
            }
        case .decimal(let p, let scale):
            let s: String
            switch storage {
            case SQLITE_INTEGER: s = String(sqlite3_column_int64(stmt, i))
            case SQLITE_FLOAT: s = String(sqlite3_column_double(stmt, i))
            default: s = text(stmt, i)
            }
            guard let v = DecimalText.parse(s, scale: scale, precision: p) else {
                throw Failure(message: "'\(s)' does not fit decimal(\(p),\(scale)) without rounding")
            }
            vector.append(decimal: v)
        case .numeric:
            let raw: String
            switch storage {
            case SQLITE_INTEGER: raw = String(sqlite3_column_int64(stmt, i))
            case SQLITE_FLOAT: raw = String(sqlite3_column_double(stmt, i))
            default: raw = text(stmt, i)
            }
            guard let canonical = DecimalText.canonical(raw) else { throw Failure(message: "'\(raw)' is not a number") }
            vector.append(string: canonical)
        case .text, .json, .jsonb:
            switch storage {
            case SQLITE_INTEGER: vector.append(string: String(sqlite3_column_int64(stmt, i)))
            case SQLITE_FLOAT: vector.append(string: String(sqlite3_column_double(stmt, i)))
            default: appendRaw(stmt, i, to: &vector)
            }
        case .bytes:
            appendRaw(stmt, i, to: &vector)
        case .uuid:
            if storage == SQLITE_BLOB && sqlite3_column_bytes(stmt, i) == 16 {
                appendRaw(stmt, i, to: &vector)
            } else {
                let s = text(stmt, i)
                guard let b = UUIDText.parse(s) else { throw Failure(message: "'\(s)' is not a UUID") }
                vector.append(bytes: b)
            }
        case .date:
            switch storage {
            case SQLITE_INTEGER: vector.append(floorDiv(sqlite3_column_int64(stmt, i), 86_400))
            default:
                let s = text(stmt, i)
                guard let d = TimeText.parseDate(s) else { throw Failure(message: "'\(s)' is not a date (YYYY-MM-DD)") }
                vector.append(d)
            }
        case .time:
            let s = text(stmt, i)
            guard let t = TimeText.parseTime(s) else { throw Failure(message: "'\(s)' is not a time (HH:MM:SS)") }
            vector.append(t)
        case .timestamp, .timestampTZ:
            switch storage {
            case SQLITE_INTEGER: vector.append(sqlite3_column_int64(stmt, i) * 1_000_000)
            case SQLITE_FLOAT: vector.append(Int64((sqlite3_column_double(stmt, i) * 1_000_000).rounded()))
            default:
                let s = text(stmt, i)
                guard let t = TimeText.parseTimestamp(s) else {
                    throw Failure(message: "'\(s)' is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM])")
                }
                vector.append(t.micros)
            }
        case .list, .structure:
            // JSON text, as `SQLiteValueWriter` stores lists and structures.
            guard storage == SQLITE_TEXT else { throw Failure(message: "a \(type) value must be JSON text") }
            let count = Int(sqlite3_column_bytes(stmt, i))
            let bytes: [UInt8] =
                sqlite3_column_text(stmt, i).map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
            try SQLiteJSON.decode(bytes, type: type, into: &vector)
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func text(_ stmt: OpaquePointer, _ i: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, i) else { return "" }
        let n = Int(sqlite3_column_bytes(stmt, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    static func appendRaw(_ stmt: OpaquePointer, _ i: Int32, to vector: inout ColumnVector) {
        let p: UnsafeRawPointer?
        if sqlite3_column_type(stmt, i) == SQLITE_BLOB {
            p = sqlite3_column_blob(stmt, i)
        } else {
            p = sqlite3_column_text(stmt, i).map { UnsafeRawPointer($0) }
        }
        let n = Int(sqlite3_column_bytes(stmt, i))
        vector.append(bytes: UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n))
    }
}
