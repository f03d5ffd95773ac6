import FerryCore
import GRDBSQLite

/// Binds typed column values to SQLite statement parameters in the representation `SQLiteValueReader` reads back.
///
/// Floats SQLite cannot hold as a REAL are stored in another form rather than changed: SQLite turns a NaN into
/// NULL and keeps a REAL with no fraction as an integer, so `-0.0` would read back as `0`. A NaN is stored as the
/// text `'NaN'` and `-0.0` as the 8-byte blob of its IEEE 754 bits (`x'8000000000000000'`; any text of it would
/// be converted back to a REAL by the column's affinity); infinities are REALs SQLite keeps.
enum SQLiteValueWriter {
    /// The big-endian IEEE 754 bits of `-0.0`.
    static let negativeZero: [UInt8] = [0x80, 0, 0, 0, 0, 0, 0, 0]

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func bind(_ stmt: OpaquePointer, _ param: Int32, vector: ColumnVector, row: Int, type: ColumnType) -> Int32 {
        if vector.isNull(row) { return sqlite3_bind_null(stmt, param) }
        switch type {
        case .boolean:
            return sqlite3_bind_int64(stmt, param, vector.bool(at: row) ? 1 : 0)
        case .int16, .int32, .int64:
            return sqlite3_bind_int64(stmt, param, vector.int64(at: row))
        case .float32, .float64:
            let d = vector.float64(at: row)
            if d.isNaN { return bindText(stmt, param, "NaN") }
            if d == 0 && d.sign == .minus {
                return negativeZero.withUnsafeBytes { raw in
                    sqlite3_bind_blob(stmt, param, raw.baseAddress, Int32(raw.count), transient)
                }
            }
            return sqlite3_bind_double(stmt, param, d)
        case .decimal(_, let scale):
            return bindText(stmt, param, DecimalText.format(unscaled: vector.decimal(at: row), scale: scale))
        case .date:
            return bindText(stmt, param, TimeText.formatDate(days: vector.int64(at: row)))
        case .time:
            return bindText(stmt, param, TimeText.formatTime(micros: vector.int64(at: row)))
        case .timestamp:
            return bindText(stmt, param, TimeText.formatTimestamp(micros: vector.int64(at: row), zoned: false))
        case .timestampTZ:
            return bindText(stmt, param, TimeText.formatTimestamp(micros: vector.int64(at: row), zoned: true))
        case .uuid:
            return bindText(stmt, param, UUIDText.format(Array(vector.bytes(at: row))))
        case .bytes:
            let slice = vector.bytes(at: row)
            return slice.withUnsafeBytes { raw in
                sqlite3_bind_blob(
                    stmt, param, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), transient)
            }
        case .numeric, .text, .json, .jsonb:
            let slice = vector.bytes(at: row)
            return slice.withUnsafeBytes { raw in
                guard let p = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else {
                    return bindText(stmt, param, "")
                }
                return sqlite3_bind_text(stmt, param, p, Int32(raw.count), transient)
            }
        case .list, .structure:
            var json: [UInt8] = []
            SQLiteJSON.encode(vector, row: row, type: type, into: &json)
            return json.withUnsafeBytes { raw in
                guard let p = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else {
                    return bindText(stmt, param, "")
                }
                return sqlite3_bind_text(stmt, param, p, Int32(raw.count), transient)
            }
        }
    }

    static func bindText(_ stmt: OpaquePointer, _ param: Int32, _ text: String) -> Int32 {
        sqlite3_bind_text(stmt, param, text, -1, transient)
    }
}
