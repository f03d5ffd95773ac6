import FerryCore
import GRDBSQLite

/// Binds typed column values to SQLite statement parameters in the representation `SQLiteValueReader` reads back.
enum SQLiteValueWriter {
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func bind(_ stmt: OpaquePointer, _ param: Int32, vector: ColumnVector, row: Int, type: ColumnType) -> Int32 {
        if vector.isNull(row) { return sqlite3_bind_null(stmt, param) }
        switch type {
        case .boolean:
            return sqlite3_bind_int64(stmt, param, vector.bool(at: row) ? 1 : 0)
        case .int16, .int32, .int64:
            return sqlite3_bind_int64(stmt, param, vector.int64(at: row))
        case .float32, .float64:
            return sqlite3_bind_double(stmt, param, vector.float64(at: row))
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
        // Refused before anything is written (`TableSchema.rejectNestedColumns`); the text form if ever reached.
        case .list, .structure:
            return bindText(stmt, param, ScalarValue(vector: vector, row: row, type: type)?.description ?? "")
        }
    }

    static func bindText(_ stmt: OpaquePointer, _ param: Int32, _ text: String) -> Int32 {
        sqlite3_bind_text(stmt, param, text, -1, transient)
    }
}
