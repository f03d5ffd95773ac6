import FerryCore

/// The SQL of one PostgreSQL -> PostgreSQL write, worked out before anything runs so a dry run prints exactly what
/// a run executes: `types` (its own short transaction: schemas, extensions, user-defined types, new enum labels,
/// committed before the load so the load can use them), `prepare` (the target created, synced or staged), the
/// COPY, and `finish` (constraints and indexes built, swap, sequences, foreign keys set aside, COMMIT).
struct PostgresNativeWritePlan {
    var types: [String] = []
    var prepare: [String] = []
    var copySQL: String
    var finish: [String] = []
    /// The staging table (staging_swap), dropped when the write is abandoned.
    var staging: String?
    /// Schema changes that would lose data; the write refuses them unless forced.
    var lossy: [String] = []
    /// For statements of `types` whose failure needs more than the server's words (`CREATE EXTENSION`): what the
    /// statement does and what the user can do when it fails.
    var remedies: [String: Remedy] = [:]

    struct Remedy {
        /// What the statement does, naming the object: "creating extension hstore in schema public".
        var context: String
        /// What to do when it fails.
        var advice: String
    }

    var statements: [String] { types + prepare + [copySQL] + finish }
}
