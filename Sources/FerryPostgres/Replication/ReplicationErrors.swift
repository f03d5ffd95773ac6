import FerryCore
import Foundation

/// The replication failures a user must act on, each turned into one line that says what happened and what to do.
///
/// The server's own texts ("replication slot \"x\" does not exist") do not say that the changes since the last
/// run are gone and that only a resynchronisation recovers them; these do. The SQLSTATE stays in `sqlState` so
/// the engine can tell the cases apart.
enum ReplicationErrors {
    /// What recovers a pipeline whose slot is gone: the changes it held are lost, the copy must be rebuilt.
    static let resynchronise = "resynchronise with `ferry cleanup --config <file>` then `ferry run --config <file>`"

    /// The replication connection was refused because the role lacks REPLICATION.
    static func notReplicationRole(_ user: String?, endpoint: String) -> FerryError {
        let role = user ?? "the connecting role"
        return FerryError(
            .config,
            "role \(role) may not use replication on \(endpoint) (it needs REPLICATION or superuser); "
                + "as a superuser run: ALTER ROLE \(identifier(role)) REPLICATION;")
    }

    /// `name` as SQL needs it: bare when it is a plain lower-case identifier, else double-quoted.
    static func identifier(_ name: String) -> String {
        let plain =
            name.utf8.first.map { (0x61...0x7A).contains($0) || $0 == 0x5F } == true
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        return plain ? name : PostgresSQL.quoteIdent(name)
    }

    /// A `START_REPLICATION` refused by the server.
    static func startFailed(_ error: FerryError, slot: String, publication: String) -> FerryError {
        switch error.sqlState {
        case "42704":
            return FerryError(
                .config,
                "replication slot \(slot) does not exist (it was dropped, or the server was restored or failed "
                    + "over): the changes since the last run cannot be streamed; \(resynchronise)",
                sqlState: error.sqlState)
        case "55006":
            let pid = activePID(in: error.message).map { " (PID \($0))" } ?? ""
            return FerryError(
                .transient,
                "replication slot \(slot) is in use by another connection\(pid); stop the other `ferry run` of this "
                    + "pipeline, or wait: the server frees the slot of a crashed client within wal_sender_timeout",
                sqlState: error.sqlState)
        default:
            return streamFailed(error, slot: slot, publication: publication)
        }
    }

    /// An error that ends a stream after it started (the server checks publications only while decoding).
    static func streamFailed(_ error: FerryError, slot: String, publication: String) -> FerryError {
        switch error.sqlState {
        case "42704" where error.message.contains("publication"):
            return FerryError(
                .config,
                "publication \(publication) does not exist at the position slot \(slot) reads from (it was "
                    + "dropped, or created after the slot); \(resynchronise)",
                sqlState: error.sqlState)
        case "55000" where error.message.contains("not created in this database"):
            return FerryError(
                .config,
                "replication slot \(slot) belongs to another database; give this pipeline its own slot name",
                sqlState: error.sqlState)
        case "55000":
            return FerryError(
                .config,
                "replication slot \(slot) was invalidated by the server (the WAL it needed was removed, see "
                    + "max_slot_wal_keep_size): the changes since the last run are lost; \(resynchronise)",
                sqlState: error.sqlState)
        default:
            return error
        }
    }

    /// `… is active for PID 1234` -> 1234.
    static func activePID(in message: String) -> Int? {
        guard let range = message.range(of: "PID ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }

    /// Slot names may hold only lower-case letters, digits and underscores, at most 63 of them (the server's
    /// rule, checked before any connection so the message can name the config).
    static func checkSlotName(_ name: String) throws(FerryError) {
        let valid =
            !name.isEmpty && name.utf8.count <= 63
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        guard valid else {
            throw FerryError(
                .config,
                "replication slot name '\(name)' is invalid: use at most 63 lower-case letters, digits and "
                    + "underscores")
        }
    }
}
