public import FerryCore

extension PostgresChangeSource {
    // MARK: Readiness

    /// Checks, without changing anything, what streaming `tables` needs: `wal_level = logical`, a role that may
    /// replicate, a free slot, and for each table that it exists, can be published and has a usable replica
    /// identity (a primary key, an identity index or FULL). Publishing a table without one would make the
    /// application's own UPDATEs and DELETEs fail (postgres-wire.md E.12), so such tables are refused here with
    /// the statement that fixes them.
    public func checkReadiness(tables: [TableName]) throws(FerryError) {
        try ReplicationErrors.checkSlotName(slotName)
        let conn = try connect()
        defer { conn.close() }
        try checkServer(conn)
        try checkTables(conn, tables)
    }

    private func checkServer(_ conn: PGConnection) throws(FerryError) {
        let context = "checking that \(endpoint) can stream changes"
        let walLevel = try conn.exec("SHOW wal_level", context: context).scalar ?? "?"
        guard walLevel == "logical" else {
            throw FerryError(
                .config,
                "wal_level is '\(walLevel)' on \(endpoint) but change streaming needs logical decoding: set "
                    + "wal_level = logical in postgresql.conf and restart the server")
        }
        let role = try conn.exec(
            """
            SELECT current_user, quote_ident(current_user), rolsuper OR rolreplication
            FROM pg_catalog.pg_roles WHERE rolname = current_user
            """, context: context)
        if let row = role.rows.first, row.count == 3, row[2] != "t" {
            throw FerryError(
                .config,
                "role \(row[0] ?? "?") may not use replication on \(endpoint) (it needs REPLICATION or superuser); "
                    + "as a superuser run: ALTER ROLE \(row[1] ?? "?") REPLICATION;")
        }
        let slots = try conn.execParams(
            """
            SELECT (SELECT database FROM pg_catalog.pg_replication_slots WHERE slot_name = $1),
                   EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1),
                   (SELECT count(*) FROM pg_catalog.pg_replication_slots),
                   current_setting('max_replication_slots')::int, current_database()
            """, [slotName], context: context)
        guard let row = slots.rows.first, row.count == 5 else { return }
        if row[1] == "t" {
            if let database = row[0], database != row[4] {
                throw FerryError(
                    .config,
                    "replication slot \(slotName) already exists for database \(database); give this pipeline its "
                        + "own slot name")
            }
        } else if let used = row[2].flatMap({ Int($0) }), let max = row[3].flatMap({ Int($0) }), used >= max {
            throw FerryError(
                .config,
                "all \(max) replication slots of \(endpoint) are in use: raise max_replication_slots in "
                    + "postgresql.conf and restart, or drop unused slots (see pg_replication_slots)")
        }
    }

    private func checkTables(_ conn: PGConnection, _ tables: [TableName]) throws(FerryError) {
        var problems: [String] = []
        var privileges: [String] = []
        for table in tables {
            let schema = try PostgresCatalog.resolvedSchema(conn, table)
            let label = "\(schema).\(table.name)"
            let rows = try conn.execParams(
                """
                SELECT c.relkind, c.relpersistence, c.relreplident,
                       quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident),
                       pg_catalog.pg_has_role(c.relowner, 'USAGE'),
                       pg_catalog.has_table_privilege(c.oid, 'SELECT'),
                       EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables p
                               WHERE p.pubname = $3 AND p.schemaname = n.nspname AND p.tablename = c.relname)
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relname = $2
                """, [schema, table.name, publicationName], context: "checking \(label) for change streaming",
                table: label)
            guard let row = rows.rows.first, row.count == 9, let quoted = row[3] else {
                problems.append("\(label) does not exist")
                continue
            }
            let fix = "ALTER TABLE \(quoted) REPLICA IDENTITY FULL;"
            switch (row[0], row[1], row[2]) {
            case (let kind, _, _) where kind != "r" && kind != "p":
                problems.append("\(label) is not a table (views and foreign tables cannot be streamed)")
            case (_, let persistence, _) where persistence != "p":
                problems.append("\(label) is unlogged or temporary, so its changes are not in the WAL")
            case (_, _, "n"):
                let other = row[4] == "t" ? "ALTER TABLE \(quoted) REPLICA IDENTITY DEFAULT;" : fix
                problems.append("\(label) has REPLICA IDENTITY NOTHING: run \(other)")
            case (_, _, "d") where row[4] != "t":
                problems.append("\(label) has no primary key: add one, or run \(fix)")
            case (_, _, "i") where row[5] != "t":
                problems.append("\(label) has lost its replica identity index: run \(fix)")
            default:
                if row[7] != "t" { privileges.append("SELECT on \(label) (GRANT SELECT ON \(quoted) TO <role>;)") }
                if row[6] != "t" && row[8] != "t" {
                    privileges.append(
                        "ownership of \(label) to add it to publication \(publicationName) (or, as its owner: "
                            + "ALTER PUBLICATION \(PostgresSQL.quoteIdent(publicationName)) ADD TABLE \(quoted);)")
                }
            }
        }
        if !problems.isEmpty {
            throw FerryError(
                .schema, "cannot stream changes: " + problems.joined(separator: "; "),
                table: tables.count == 1 ? tables[0].description : nil)
        }
        if !privileges.isEmpty {
            throw FerryError(
                .config, "the role connecting to \(endpoint) lacks " + privileges.joined(separator: "; "))
        }
    }

    // MARK: Publication

    /// Creates the publication for `tables` when missing, else adds the tables it lacks. Never removes a table:
    /// another pipeline may share the publication. Changes of partitions are published as their root table, the
    /// name the snapshot reads.
    public func preparePublication(tables: [TableName]) throws(FerryError) {
        let conn = try connect()
        defer { conn.close() }
        let context = "preparing publication \(publicationName)"
        let publication = PostgresSQL.quoteIdent(publicationName)
        var wanted: [TableName] = []
        for table in tables {
            let resolved = TableName(schema: try PostgresCatalog.resolvedSchema(conn, table), name: table.name)
            if !wanted.contains(resolved) { wanted.append(resolved) }
        }
        let existing = try conn.execParams(
            """
            SELECT puballtables, pubinsert AND pubupdate AND pubdelete AND pubtruncate, pubviaroot
            FROM pg_catalog.pg_publication WHERE pubname = $1
            """, [publicationName], context: context)
        guard let row = existing.rows.first, row.count == 3 else {
            guard !wanted.isEmpty else { return }
            try conn.exec(
                "CREATE PUBLICATION \(publication) FOR TABLE "
                    + wanted.map(PostgresSQL.qualifiedName).joined(separator: ", ")
                    + " WITH (publish_via_partition_root = true)", context: context)
            return
        }
        guard row[1] == "t" else {
            throw FerryError(
                .config,
                "publication \(publicationName) does not publish every kind of change; run: ALTER PUBLICATION "
                    + "\(publication) SET (publish = 'insert, update, delete, truncate');")
        }
        if row[2] != "t" {
            // Without it, a partitioned table's changes arrive under its partitions' names, which no table of the
            // pipeline has: they would be lost.
            let partitioned = try conn.execParams(
                "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::regclass[]) AND c.relkind = 'p'",
                [PostgresRelationCatalog.arrayLiteral(wanted.map(PostgresSQL.qualifiedName))], context: context)
            if !partitioned.rows.isEmpty {
                throw FerryError(
                    .config,
                    "publication \(publicationName) publishes partitioned tables under their partitions' names; "
                        + "run: ALTER PUBLICATION \(publication) SET (publish_via_partition_root = true);")
            }
        }
        if row[0] == "t" { return }
        let members = try conn.execParams(
            "SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1",
            [publicationName], context: context)
        let present = Set(
            members.rows.compactMap { r in r.count == 2 ? TableName(schema: r[0], name: r[1] ?? "") : nil })
        let missing = wanted.filter { !present.contains($0) }
        guard !missing.isEmpty else { return }
        try conn.exec(
            "ALTER PUBLICATION \(publication) ADD TABLE "
                + missing.map(PostgresSQL.qualifiedName).joined(separator: ", "),
            context: context)
    }
}
