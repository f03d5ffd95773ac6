import FerryCore
import Foundation

/// Ferry's own columns in a CDC target: `_ferry_deleted` (soft deletes), `_ferry_lsn` and `_ferry_synced_at`
/// (metadata columns), after the table's columns at the initial load; columns the source adds later come after them.
enum ExtraColumns {
    static let deleted = Column(name: "_ferry_deleted", type: .boolean, nullable: false)
    static let lsn = Column(name: "_ferry_lsn", type: .int64, nullable: false)
    static let syncedAt = Column(name: "_ferry_synced_at", type: .timestampTZ, nullable: false)

    static func columns(_ spec: TableSpec) -> [Column] {
        (spec.deletes == .soft ? [deleted] : []) + (spec.metadataColumns ? [lsn, syncedAt] : [])
    }

    static func count(_ spec: TableSpec) -> Int { columns(spec).count }

    /// Where Ferry's columns are in a table's shape, found once per relation rather than per row.
    struct Slots {
        var deleted: Int?
        var lsn: Int?
        var syncedAt: Int?

        init() {}

        init(_ schema: TableSchema) {
            for (i, column) in schema.columns.enumerated() {
                switch column.name {
                case ExtraColumns.deleted.name: deleted = i
                case ExtraColumns.lsn.name: lsn = i
                case ExtraColumns.syncedAt.name: syncedAt = i
                default: continue
                }
            }
        }

        var isEmpty: Bool { deleted == nil && lsn == nil && syncedAt == nil }

        func contains(_ i: Int) -> Bool { i == deleted || i == lsn || i == syncedAt }

        /// Sets Ferry's columns of `row`.
        func fill(_ row: inout [ScalarValue?], deleted isDeleted: Bool, lsn position: LSN, syncedAt time: Date) {
            if let deleted { row[deleted] = .int(isDeleted ? 1 : 0) }
            if let lsn { row[lsn] = .int(Int64(bitPattern: position.rawValue)) }
            if let syncedAt { row[syncedAt] = .timestamp(Int64(time.timeIntervalSince1970 * 1_000_000), zoned: true) }
        }
    }

    /// `schema` with Ferry's columns appended (replacing any already there).
    static func append(to schema: TableSchema, spec: TableSpec) -> TableSchema {
        var s = schema
        let own = Set(columns(spec).map(\.name))
        s.columns.removeAll { own.contains($0.name) }
        s.columns += columns(spec)
        return s
    }
}
