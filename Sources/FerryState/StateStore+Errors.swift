import FerryCore
import Foundation
import GRDB

/// What the state store tells the user when its file cannot be used.
///
/// SQLite's and GRDB's own descriptions (a result code, the statement that failed, its arguments) say what broke
/// inside the library, not what to do about it; a user only ever sees a state file. So every failure names the file
/// and what to do, and keeps at most SQLite's one-line message as the detail.
extension StateStore {
    /// The error for `error`, thrown while opening the store at `path` or while `what` (a phrase such as
    /// "recording the run start"; `nil` while opening).
    static func failure(_ error: any Error, path: String, while what: String?) -> FerryError {
        var failure = message(for: error, path: path, while: what)
        failure.underlying = error
        return failure
    }

    private static func message(for error: any Error, path: String, while what: String?) -> FerryError {
        let doing = what.map { " while \($0)" } ?? ""
        guard let error = error as? DatabaseError else {
            return FerryError(
                .io,
                "cannot use the state store \(path)\(doing): \(error.localizedDescription); check the file, "
                    + "or point state.path in the config at another one")
        }
        let detail = error.message.map { " (SQLite: \($0))" } ?? ""
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return FerryError(
                .io,
                "\(path) is not a Ferry state store: it is not an SQLite database, or is damaged\(detail). Move it "
                    + "aside (Ferry then starts a new store there, without the run history and CDC positions), or "
                    + "point state.path in the config at another file")
        case .SQLITE_READONLY:
            let need = what.map { "while \($0)" } ?? "to bring it up to this version of Ferry"
            return FerryError(
                .io,
                "the state store \(path) is read-only and Ferry needs to write it \(need); make the file and its "
                    + "directory writable for this user, or point state.path in the config at a writable file")
        case .SQLITE_CANTOPEN:
            return FerryError(
                .io,
                "cannot open the state store \(path)\(detail); check that it is a file (not a directory) in a "
                    + "directory this user can write, or point state.path in the config elsewhere")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return FerryError(
                .io,
                "the state store \(path) stayed locked by another process for 30 s\(doing); wait for the other "
                    + "ferry command using it to finish, or give this config its own state.path")
        case .SQLITE_FULL:
            return FerryError(
                .io, "the disk holding the state store \(path) is full\(doing); free some space and run again")
        default:
            return FerryError(
                .io,
                "the state store \(path) failed\(doing)\(detail); check the file and its disk, or point state.path "
                    + "in the config at another file")
        }
    }
}
