public import FerryCore

/// Turns libpq failures into `FerryError`s whose code tells the engine whether a retry can help.
///
/// The SQLSTATE decides: lost connections, serialization failures, deadlocks, cancels/timeouts and "too many
/// connections" are worth retrying; a missing table or column is a schema problem the user must fix; anything else
/// is a plain database error. The SQLSTATE always travels in `sqlState`.
public enum PostgresErrors {
    /// The error code for a SQLSTATE (`nil` when the failure happened on the client side or the connection broke).
    public static func code(forSQLState state: String?, connectionBroken: Bool = false) -> FerryError.Code {
        if connectionBroken { return .connection }
        guard let state else { return .database }
        if state.hasPrefix("08") { return .connection }
        switch state {
        case "57P01", "57P02", "57P03", "53300": return .connection
        case "40001", "40P01", "57014", "55P03": return .transient
        case "42P01", "42703": return .schema
        default: return .database
        }
    }

    /// What the user should do about an error of `code`: the tail of every message.
    static func advice(for code: FerryError.Code) -> String {
        switch code {
        case .connection: "check that the server is reachable; the run retries connection failures"
        case .transient: "the run retries this automatically; raise command_timeout if it keeps happening"
        case .schema: "check the table and column names in the config against the database"
        default: "see the PostgreSQL server log for details"
        }
    }

    /// Collapses libpq's multi-line messages (`ERROR: …\nDETAIL: …`) into one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// Builds the error for a failed step. `context` says what Ferry was doing and names the object
    /// ("reading public.orders").
    static func make(
        context: String, primary: String, sqlState: String?, connectionBroken: Bool, table: String?
    ) -> FerryError {
        let code = code(forSQLState: sqlState, connectionBroken: connectionBroken)
        let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
        return FerryError(
            code, "\(context) failed: \(oneLine(primary))\(state); \(advice(for: code))", table: table,
            sqlState: sqlState)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " { s = s.dropFirst() }
        while let l = s.last, l == " " { s = s.dropLast() }
        return String(s)
    }
}
