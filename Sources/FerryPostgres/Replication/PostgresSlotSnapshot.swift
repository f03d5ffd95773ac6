import FerryCore
import Foundation

/// A slot just created with `SNAPSHOT 'export'`, and the replication connection that keeps the snapshot alive.
///
/// The exported snapshot can be imported only while that connection stays idle: its next command (or its end)
/// invalidates the snapshot (postgres-wire.md B.3), so the connection does nothing until `close()`. Each reader
/// imports the snapshot on its own normal connection; a transaction that has imported it keeps it after `close()`.
///
/// `openReader` only reads constants, so readers may be opened from several threads at once; `close` is guarded
/// by a lock.
public final class PostgresSlotSnapshot: SlotSnapshot, @unchecked Sendable {
    public let consistentPoint: LSN
    /// The exported snapshot's name, for `SET TRANSACTION SNAPSHOT`.
    public let snapshotName: String
    /// The slot's name (a derived unique name for a temporary slot).
    public let slotName: String
    public let temporary: Bool
    private let config: PostgresConnectionConfig
    private let lock = NSLock()
    private var conn: ReplicationConnection?

    init(
        conn: ReplicationConnection, config: PostgresConnectionConfig, slotName: String, temporary: Bool,
        consistentPoint: LSN, snapshotName: String
    ) {
        self.conn = conn
        self.config = config
        self.slotName = slotName
        self.temporary = temporary
        self.consistentPoint = consistentPoint
        self.snapshotName = snapshotName
    }

    deinit { close() }

    /// Opens `table` in a `REPEATABLE READ READ ONLY` transaction that imports the slot's snapshot: it sees every
    /// transaction committed before `consistentPoint` and none after, and the columns the stream carries.
    public func openReader(_ table: TableName) throws(FerryError) -> any TableReader {
        do throws(FerryError) {
            return try PostgresSource.openReader(
                table, config: config, snapshot: snapshotName, streamedColumnsOnly: true)
        } catch let error where error.sqlState == "22023" {
            throw FerryError(
                .integrity,
                "the snapshot of replication slot \(slotName) is no longer available (it ends when the slot's "
                    + "connection closes); open every reader before closing it",
                table: table.description, sqlState: error.sqlState)
        }
    }

    /// Closes the replication connection: the snapshot ends, and a temporary slot is dropped.
    public func close() {
        let conn = lock.withLock {
            defer { self.conn = nil }
            return self.conn
        }
        conn?.close()
    }
}
