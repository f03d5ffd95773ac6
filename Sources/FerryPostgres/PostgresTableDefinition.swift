import FerryCore
import Foundation

/// A PostgreSQL table as its catalog defines it, in the catalog's own words (`format_type`, `pg_get_expr`,
/// `pg_get_constraintdef`, `pg_get_indexdef`, read with `search_path = pg_catalog` so every name is qualified).
///
/// The payload of a `NativeTableDefinition` of dialect `postgresql`: what a PostgreSQL target needs to recreate the
/// table exactly and to compare it with the table it already has.
struct PostgresTableDefinition: Codable, Hashable, Sendable {
    struct Column: Codable, Hashable, Sendable {
        var name: String
        /// `format_type(atttypid, atttypmod)`, qualified when user-defined (`public.mood`, `integer[]`).
        var type: String
        /// `COLLATE …` when the column's collation is not its type's default.
        var collation: String?
        var notNull: Bool
        /// `pg_get_expr` of the default (not of a generated column).
        var defaultExpression: String?
        /// `a` (ALWAYS) or `d` (BY DEFAULT) for identity columns.
        var identity: String?
        /// The expression of a `GENERATED ALWAYS AS (…) STORED` column: not copied, the target computes it.
        var generatedExpression: String?
        var comment: String?
    }

    struct Constraint: Codable, Hashable, Sendable {
        var name: String
        /// `p` primary key, `u` unique, `c` check, `x` exclusion, `f` foreign key.
        var kind: String
        /// `pg_get_constraintdef`: `CHECK (…)`, `FOREIGN KEY (a) REFERENCES public.t(id) ON DELETE CASCADE`, …
        var definition: String
        /// The referenced table of a foreign key.
        var referencedSchema: String?
        var referencedTable: String?
    }

    struct Index: Codable, Hashable, Sendable {
        var name: String
        /// `pg_get_indexdef`, `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING …`.
        var definition: String
    }

    struct Sequence: Codable, Hashable, Sendable {
        var schema: String
        var name: String
        /// The column it belongs to: its identity (`identity`) or a serial default (`OWNED BY`).
        var column: String
        var identity: Bool
        var dataType: String
        var start: Int64
        var increment: Int64
        var minValue: Int64
        var maxValue: Int64
        var cache: Int64
        var cycle: Bool
        /// Where the source's sequence stands (`last_value`, `is_called`), set on the target after the load.
        var lastValue: Int64?
        var isCalled: Bool

        var qualified: String { PostgresSQL.quoteIdent(schema) + "." + PostgresSQL.quoteIdent(name) }
    }

    struct Partition: Codable, Hashable, Sendable {
        var definition: PostgresTableDefinition
        /// `pg_get_expr(relpartbound)`: `FOR VALUES FROM (…) TO (…)`, `DEFAULT`, …
        var bound: String
    }

    var schema: String
    var name: String
    /// `schema.name` as the catalog's deparsers print it (quoted only where needed), to find it in their output.
    var printedName: String
    var columns: [Column]
    var constraints: [Constraint]
    var indexes: [Index]
    var sequences: [Sequence]
    /// `pg_get_partkeydef` of a partitioned table: `RANGE (created_at)`.
    var partitionKey: String?
    var partitions: [Partition]
    var comment: String?
    /// `relreplident`: `d` default, `n` nothing, `f` full, `i` index (`replicaIdentityIndex`).
    var replicaIdentity: String
    var replicaIdentityIndex: String?
    /// User-defined types the columns use, each after the types it depends on.
    var types: [PostgresTypeDefinition]
    /// An extension whose types the columns use, and the schema it is installed in.
    struct Extension: Codable, Hashable, Sendable {
        var name: String
        var schema: String
    }

    /// Extensions whose types the columns use.
    var extensions: [Extension]
    /// Every column's binary send/receive form is portable to another database (built-in type OIDs only), so
    /// rows travel as binary COPY; otherwise as text COPY, which every type's input function reads back exactly.
    var binaryCopy: Bool

    static let dialect = "postgresql"

    /// The columns COPY moves: generated columns are computed by the target.
    var copiedColumns: [Column] { columns.filter { $0.generatedExpression == nil } }

    var qualified: String { PostgresSQL.quoteIdent(schema) + "." + PostgresSQL.quoteIdent(name) }
    var label: String { "\(schema).\(name)" }

    var foreignKeys: [Constraint] { constraints.filter { $0.kind == "f" } }

    /// Every table of the partition tree under this one, parents first.
    var partitionTree: [PostgresTableDefinition] {
        partitions.flatMap { [$0.definition] + $0.definition.partitionTree }
    }

    func native() throws(FerryError) -> NativeTableDefinition {
        let payload: Data
        do {
            payload = try JSONEncoder().encode(self)
        } catch {
            throw FerryError(.integrity, "could not encode the definition of \(label): \(error)", table: label)
        }
        return NativeTableDefinition(dialect: Self.dialect, payload: Array(payload))
    }

    init(native: NativeTableDefinition, table: String) throws(FerryError) {
        guard native.dialect == Self.dialect else {
            throw FerryError(
                .integrity, "a \(native.dialect) table definition cannot be written to PostgreSQL", table: table)
        }
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(native.payload))
        } catch {
            throw FerryError(.integrity, "could not read the source definition of \(table): \(error)", table: table)
        }
    }

    init(
        schema: String, name: String, printedName: String, columns: [Column], constraints: [Constraint],
        indexes: [Index],
        sequences: [Sequence], partitionKey: String?, partitions: [Partition], comment: String?,
        replicaIdentity: String, replicaIdentityIndex: String?, types: [PostgresTypeDefinition],
        extensions: [Extension], binaryCopy: Bool
    ) {
        self.schema = schema
        self.name = name
        self.printedName = printedName
        self.columns = columns
        self.constraints = constraints
        self.indexes = indexes
        self.sequences = sequences
        self.partitionKey = partitionKey
        self.partitions = partitions
        self.comment = comment
        self.replicaIdentity = replicaIdentity
        self.replicaIdentityIndex = replicaIdentityIndex
        self.types = types
        self.extensions = extensions
        self.binaryCopy = binaryCopy
    }
}
