/// A position in a source's write-ahead log (PostgreSQL: an LSN), compared as an unsigned 64-bit number.
public struct LSN: RawRepresentable, Comparable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let zero = LSN(rawValue: 0)

    /// Parses PostgreSQL's `X/Y` text form (hex halves, with or without zero padding).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...8).contains(parts[0].count), (1...8).contains(parts[1].count),
            let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16)
        else { return nil }
        self.rawValue = high << 32 | low
    }

    /// `X/Y` as PostgreSQL prints it: upper-case hex halves without padding.
    public var description: String {
        String(rawValue >> 32, radix: 16, uppercase: true) + "/"
            + String(rawValue & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a change stream delivers, in the source's commit order. Only committed transactions are delivered; each is
/// `begin`, its `relation`/`row`/`truncate` events, then `commit`.
public enum ChangeEvent: Sendable {
    /// A transaction starts.
    case begin(finalLSN: LSN, commitTime: Int64)
    /// The current shape of `table`; the row events of `table` that follow use it (columns in this order). Sent
    /// before a table's first change and again after its definition changed (ALTER TABLE).
    case relation(TableName, TableSchema)
    /// A row of `table` changed. Values are in the order of the last `relation` of the table; `oldKey` follows the
    /// key columns the stream was opened with.
    case row(TableName, RowChange)
    /// These tables were emptied.
    case truncate([TableName])
    /// The transaction committed. `endLSN` is the position to store with the applied data and to confirm.
    case commit(commitLSN: LSN, endLSN: LSN, commitTime: Int64)
    /// The server has sent everything up to `walEnd` and no transaction is open: once everything received is
    /// applied, `walEnd` may be confirmed (this keeps a quiet slot from holding WAL forever).
    case idle(walEnd: LSN)
}

/// The state of the source's replication slot, for safety checks and `ferry status`.
public struct SlotState: Sendable, Hashable {
    public var name: String
    /// Whether a session is consuming the slot right now.
    public var active: Bool
    /// The slot's confirmed flush position: changes before it will not be sent again.
    public var confirmedFlush: LSN?
    /// The oldest WAL the slot keeps.
    public var restartLSN: LSN?
    /// The server's current WAL position.
    public var currentLSN: LSN
    /// `reserved`, `extended`, `unreserved` or `lost` (WAL the slot needs was removed: the slot is unusable).
    public var walStatus: String?
    /// Bytes of WAL the slot keeps on the server's disk.
    public var retainedBytes: Int64
    /// Whether the server invalidated the slot (its WAL was removed).
    public var invalidated: Bool

    public init(
        name: String, active: Bool, confirmedFlush: LSN?, restartLSN: LSN?, currentLSN: LSN, walStatus: String?,
        retainedBytes: Int64, invalidated: Bool
    ) {
        self.name = name
        self.active = active
        self.confirmedFlush = confirmedFlush
        self.restartLSN = restartLSN
        self.currentLSN = currentLSN
        self.walStatus = walStatus
        self.retainedBytes = retainedBytes
        self.invalidated = invalidated
    }
}

/// A slot just created with an exported snapshot: the snapshot holds every transaction committed before
/// `consistentPoint`, the slot streams every one committed after it.
public protocol SlotSnapshot: AnyObject {
    var consistentPoint: LSN { get }
    /// Opens `table` for reading in the exported snapshot. Valid until `close()`.
    func openReader(_ table: TableName) throws(FerryError) -> any TableReader
    /// Ends the snapshot (and drops the slot if it was temporary).
    func close()
}

/// A source that can stream its changes (PostgreSQL logical replication).
///
/// Like `Source`, methods block the calling thread.
public protocol ChangeSource: Sendable {
    /// Checks that `tables` can be streamed (server settings, privileges, replica identity) without changing
    /// anything; throws an error naming what to fix.
    func checkReadiness(tables: [TableName]) throws(FerryError)
    /// `table` as the stream carries it: its columns (those the stream has values for), key and indexes.
    func describe(_ table: TableName) throws(FerryError) -> TableSchema
    /// Makes the publication cover `tables` (creating it when missing).
    func preparePublication(tables: [TableName]) throws(FerryError)
    /// The source cluster's system identifier. Positions (LSNs) compare only within one cluster: a pipeline that
    /// finds another one (a restore, a `pg_upgrade` that carried the slot over) must not trust its positions.
    func systemIdentifier() throws(FerryError) -> String
    /// The slot's state, `nil` when it does not exist.
    func slotState() throws(FerryError) -> SlotState?
    /// Creates the pipeline's slot (or, when `temporary`, a throwaway slot that only exports a snapshot, to load a
    /// table added to a running pipeline) and holds its snapshot open.
    func createSlot(temporary: Bool) throws(FerryError) -> any SlotSnapshot
    /// The server's current WAL position.
    func currentLSN() throws(FerryError) -> LSN
    /// Starts streaming from `start` (the slot starts at its confirmed position if that is later). `keys` gives each
    /// table's key columns, used for `RowChange.oldKey`.
    func openStream(from start: LSN, keys: [TableName: [String]]) throws(FerryError) -> any ChangeStream
    /// Drops the slot and the publication (`ferry cleanup`); missing ones are not an error.
    func dropSlotAndPublication() throws(FerryError)
}

extension ChangeStream {
    /// The next event, waking as soon as one arrives.
    public func next(timeout: Double) throws(FerryError) -> ChangeEvent? { try next(timeout: timeout, gather: 0) }
}

/// An open replication stream. Used by one thread at a time.
public protocol ChangeStream: AnyObject {
    /// The next event, or `nil` when none arrived within `timeout` seconds. Keeps the connection alive (status
    /// updates) while waiting. With `gather` > 0, when nothing is buffered the stream lets that many seconds of
    /// input accumulate before reading it, instead of waking for each message: a source of small transactions
    /// then costs a few wakeups per batch instead of several per transaction, for at most `gather` of latency.
    func next(timeout: Double, gather: Double) throws(FerryError) -> ChangeEvent?
    /// Reports `lsn` to the server as durably applied, so the slot releases the WAL before it. Call only after the
    /// target committed everything up to `lsn`.
    func confirm(_ lsn: LSN) throws(FerryError)
    /// Asks the server to report its position now (a standby status update with reply requested), so that an
    /// `.idle` event follows soon when no transaction is open; `ferry run` uses it to notice it has caught up.
    func requestStatus() throws(FerryError)
    /// Stops streaming and closes the connection.
    func close()
}
