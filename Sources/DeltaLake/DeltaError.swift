/// Errors of the Delta log library, each naming the table and what to do.
public struct DeltaError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The table does not exist (no `_delta_log`).
        public static let notATable = Code("not_a_table")
        /// The table uses a protocol feature this library does not implement.
        public static let unsupportedFeature = Code("unsupported_feature")
        /// Another writer committed the version we tried to write.
        public static let versionAlreadyExists = Code("version_already_exists")
        /// A concurrent commit conflicts logically with ours (it removed files we read, changed the schema, ...).
        public static let concurrentModification = Code("concurrent_modification")
        /// The log is malformed (a torn or invalid commit file, a gap in versions).
        public static let corruptLog = Code("corrupt_log")
        /// A requested version does not exist or was cleaned up.
        public static let versionNotFound = Code("version_not_found")
        /// Reading or writing a file failed.
        public static let io = Code("io")
        /// The schema is invalid or cannot evolve as asked.
        public static let schema = Code("schema")
    }

    public var code: Code
    public var message: String
    public var table: String?

    public init(_ code: Code, _ message: String, table: String? = nil) {
        self.code = code
        self.message = message
        self.table = table
    }

    public var description: String {
        if let table { return "Delta table \(table): \(message)" }
        return message
    }
}
