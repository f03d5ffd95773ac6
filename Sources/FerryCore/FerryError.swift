/// Every error Ferry reports: a code, a message a user can act on, the object it concerns, and the error it came
/// from.
///
/// The message is written for the user (what failed, where, what to do); `underlying` keeps the library's own error
/// (GRDB, Parquet, a POSIX error) for code and logs that need more than the sentence, instead of its description
/// being pasted into the message.
public struct FerryError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Malformed or invalid configuration (exit code 2).
        public static let config = Code("config")
        /// A connection could not be opened or was lost (transient).
        public static let connection = Code("connection")
        /// The database reported a transient condition: serialization failure, deadlock, timeout (transient).
        public static let transient = Code("transient")
        /// The database rejected a statement.
        public static let database = Code("database")
        /// A table, column or type does not exist or does not fit.
        public static let schema = Code("schema")
        /// A value could not be converted.
        public static let data = Code("data")
        /// Ferry's own invariant failed (rows written != rows read, ...).
        public static let integrity = Code("integrity")
        /// The user refused or did not confirm a destructive action.
        public static let notConfirmed = Code("not_confirmed")
        /// A local file could not be read or written.
        public static let io = Code("io")
    }

    public var code: Code
    public var message: String
    /// The table the error concerns, when there is one.
    public var table: String?
    /// The database's SQLSTATE or error code, when it came from a database.
    public var sqlState: String?
    /// The error this one was made from, when it came from a library or the system.
    public var underlying: (any Error)?

    public init(
        _ code: Code, _ message: String, table: String? = nil, sqlState: String? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.table = table
        self.sqlState = sqlState
        self.underlying = underlying
    }

    /// Whether retrying the same work may succeed.
    public var isTransient: Bool {
        code == .connection || code == .transient
    }

    public var description: String {
        if let table { return "table \(table): \(message)" }
        return message
    }

    /// The same error, attributed to `table` if it wasn't already.
    public func forTable(_ table: String) -> FerryError {
        var copy = self
        if copy.table == nil { copy.table = table }
        return copy
    }
}
