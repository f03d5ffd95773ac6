public import FerryCore
import Foundation
import GRDB

extension StateStore {
    public func cdcPipeline(slot: String) throws(FerryError) -> CDCPipelineRecord? {
        try readDB("reading CDC pipeline \(slot)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM cdc_pipelines WHERE slot_name = ?", arguments: [slot]).map {
                row in
                CDCPipelineRecord(
                    slotName: row["slot_name"], publication: row["publication"],
                    status: CDCPipelineRecord.Status(rawValue: row["status"]) ?? .creating,
                    appliedThrough: (row["applied_through"] as Int64?).map { LSN(rawValue: UInt64(bitPattern: $0)) },
                    lastCommitAt: (row["last_commit_at"] as String?).flatMap(ISO8601.date),
                    systemId: row["system_id"], updatedAt: ISO8601.date(row["updated_at"]) ?? .distantPast)
            }
        }
    }

    public func saveCDCPipeline(_ p: CDCPipelineRecord) throws(FerryError) {
        try writeDB("recording CDC pipeline \(p.slotName)") { db in
            try db.execute(
                sql: """
                    INSERT INTO cdc_pipelines (slot_name, publication, status, applied_through, last_commit_at,
                        system_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (slot_name) DO UPDATE SET publication = excluded.publication,
                        status = excluded.status, applied_through = excluded.applied_through,
                        last_commit_at = excluded.last_commit_at, system_id = excluded.system_id,
                        updated_at = excluded.updated_at
                    """,
                arguments: [
                    p.slotName, p.publication, p.status.rawValue,
                    p.appliedThrough.map { Int64(bitPattern: $0.rawValue) }, p.lastCommitAt.map(ISO8601.string),
                    p.systemId, ISO8601.string(p.updatedAt),
                ])
        }
    }

    /// Forgets a pipeline and its tables (after `ferry cleanup` dropped the slot).
    public func deleteCDCPipeline(slot: String) throws(FerryError) {
        try writeDB("forgetting CDC pipeline \(slot)") { db in
            try db.execute(sql: "DELETE FROM cdc_tables WHERE slot_name = ?", arguments: [slot])
            try db.execute(sql: "DELETE FROM cdc_pipelines WHERE slot_name = ?", arguments: [slot])
        }
    }

    public func saveCDCTables(_ tables: [CDCTableRecord]) throws(FerryError) {
        guard !tables.isEmpty else { return }
        try writeDB("recording CDC table positions") { db in
            for t in tables {
                try db.execute(
                    sql: """
                        INSERT INTO cdc_tables (slot_name, table_name, position, last_commit_at, changes_applied,
                            updated_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (slot_name, table_name) DO UPDATE SET position = excluded.position,
                            last_commit_at = excluded.last_commit_at,
                            changes_applied = cdc_tables.changes_applied + excluded.changes_applied,
                            updated_at = excluded.updated_at
                        """,
                    arguments: [
                        t.slotName, t.table, Int64(bitPattern: t.position.rawValue), t.lastCommitAt.map(ISO8601.string),
                        t.changesApplied, ISO8601.string(t.updatedAt),
                    ])
            }
        }
    }

    public func cdcTables(slot: String) throws(FerryError) -> [CDCTableRecord] {
        try readDB("reading CDC table positions") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cdc_tables WHERE slot_name = ?", arguments: [slot]).map { row in
                CDCTableRecord(
                    slotName: row["slot_name"], table: row["table_name"],
                    position: LSN(rawValue: UInt64(bitPattern: row["position"] as Int64)),
                    lastCommitAt: (row["last_commit_at"] as String?).flatMap(ISO8601.date),
                    changesApplied: row["changes_applied"], updatedAt: ISO8601.date(row["updated_at"]) ?? .distantPast)
            }
        }
    }
}
