/// The range `validate` accepts for every numeric setting and the longest text it accepts for every string.
///
/// A value outside these would otherwise pass validation and fail (or overflow) only at run time: a timeout that
/// libpq cannot express, a look-back that moves a date past the calendar, a database name PostgreSQL truncates.
enum ConfigLimits {
    /// TCP ports.
    static let port = 1...65535
    /// Rows per batch (`default_batch_size`, `batch_size`): a batch is held in memory.
    static let batchSize = 1...10_000_000
    /// `connection_timeout`, seconds: at most a day.
    static let connectionTimeout = 1...86_400
    /// `command_timeout`, seconds (0: none): at most a week; PostgreSQL takes it in milliseconds in an int32.
    static let commandTimeout = 0...604_800
    /// `max_retries` of a transient failure.
    static let maxRetries = 0...100
    /// `workers`: tables refreshed at once, each with its own connections.
    static let workers = 1...256
    /// `row_limit`: any count of rows.
    static let rowLimit = 0...Int.max
    /// `date_buffer_days`: a look-back of at most a hundred years keeps every date and timestamp in range.
    static let dateBufferDays = 0...36_500
    /// `cdc.batch_max_rows`.
    static let cdcBatchRows = 1...10_000_000
    /// `cdc.batch_max_seconds`: from a millisecond to an hour.
    static let cdcBatchSeconds = 0.001...3_600.0
    /// `cdc.batch_max_memory`: from 1 MiB to 16 GiB.
    static let cdcBatchBytes: ClosedRange<Int64> = (1 << 20)...(16 << 30)
    /// `cdc.max_retained_wal`: from 1 MiB to 1 PiB.
    static let maxRetainedWAL: ClosedRange<Int64> = (1 << 20)...(1 << 50)

    /// File and directory paths, in bytes (Linux's PATH_MAX).
    static let pathBytes = 4096
    /// Host names, in bytes (a DNS name is at most 253; a socket directory is shorter than this).
    static let hostBytes = 255
    /// Identifiers PostgreSQL keeps whole (NAMEDATALEN - 1): database, schema, table and column names.
    static let postgresIdentifierBytes = 63
    /// Table and column names when no PostgreSQL database is involved: a file name's limit, since a Delta table is a
    /// directory named after its table.
    static let nameBytes = 255
    /// Environment variable names (`user_env`, `password_env`).
    static let environmentNameBytes = 255
    /// Any other string value.
    static let textBytes = 1024
}
