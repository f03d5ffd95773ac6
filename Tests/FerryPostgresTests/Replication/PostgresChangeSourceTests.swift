import FerryCore
import FerryPostgres
import FerryTestKit
import Foundation
import Testing

@Suite struct PostgresChangeSourceTests {
    @Test func theExportedSnapshotAndTheStreamMeetWithoutGapOrOverlap() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'before');")
        let source = db.changeSource()
        defer { try? source.dropSlotAndPublication() }
        try source.preparePublication(tables: [TableName(name: "t")])
        let snapshot = try source.createSlot(temporary: false)
        // Committed after the slot's consistent point: in the stream, not in the snapshot.
        try db.sql("INSERT INTO t VALUES (2, 'after')")
        let reader = try snapshot.openReader(TableName(name: "t"))
        var ids: [Int64] = []
        _ = try reader.read(filter: nil, limit: nil, batchSize: 10) { (b: RecordBatch) throws(FerryError) in
            for r in 0..<b.rowCount { ids.append(b.vectors[0].int64(at: r)) }
        }
        reader.close()
        #expect(ids == [1])
        #expect(reader.schema.primaryKey == ["id"])
        let point = snapshot.consistentPoint
        snapshot.close()
        // The server ends the snapshot when the connection's backend exits, a moment after the client closed it.
        var gone: FerryError?
        try Wait.until("the snapshot to end once its connection is closed", every: 0.05) {
            do throws(FerryError) {
                try snapshot.openReader(TableName(name: "t")).close()
                return false
            } catch {
                gone = error
                return true
            }
        }
        #expect(gone?.message.contains("open every reader before closing it") == true, "\(String(describing: gone))")

        let log = try withStream(source, from: point) { try StreamLog.read($0, commits: 1) }
        #expect(log.rows.map { $0.1.row ?? [] } == [[.int(2), .text("after")]])
        let state = try #require(try source.slotState())
        #expect(state.name == source.slotName)
        #expect(!state.active && !state.invalidated)
        #expect(state.walStatus == "reserved")
        #expect(state.confirmedFlush == point)
        #expect(state.currentLSN >= point)
        #expect(try source.currentLSN() >= point)
        // Nothing past the consistent point is confirmed: the slot keeps the WAL from its restart point on, and
        // keeps more as more is written.
        let restart = try #require(state.restartLSN)
        #expect(restart <= point)
        #expect(state.retainedBytes > 0, "the slot retains no WAL after the insert it was never confirmed past")
        try db.sql(
            "SET synchronous_commit = on; INSERT INTO t SELECT g, repeat('w', 100) FROM generate_series(3, 1000) g")
        let later = try #require(try source.slotState())
        #expect(later.restartLSN == restart)
        #expect(
            later.retainedBytes >= state.retainedBytes + 100_000, "\(state.retainedBytes) then \(later.retainedBytes)")
    }

    @Test func aTemporarySlotGetsItsOwnNameAndVanishesOnClose() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE t (id int PRIMARY KEY)")
        let source = db.changeSource()
        let snapshot = try source.createSlot(temporary: true)
        let name = try #require((snapshot as? PostgresSlotSnapshot)?.slotName)
        #expect(name.hasPrefix(source.slotName + "_tmp_"))
        #expect(try db.sql("SELECT temporary FROM pg_replication_slots WHERE slot_name = '\(name)'") == "t")
        #expect(try source.slotState() == nil)
        snapshot.close()
        try Wait.until("the temporary slot \(name) to vanish", timeout: 60, every: 0.05) {
            try db.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = '\(name)'").isEmpty
        }
    }

    @Test func aServerWithoutLogicalDecodingIsRefusedBeforeAnythingIsCreated() throws {
        let cluster = try PostgresCluster.standalone(walLevel: "replica")
        defer { cluster.stop() }
        let db = PGTestDB(cluster: cluster, name: try cluster.createDatabase())
        try db.sql("CREATE TABLE t (id int PRIMARY KEY)")
        let source = db.changeSource()
        let error = #expect(throws: FerryError.self) { try source.checkReadiness(tables: [TableName(name: "t")]) }
        #expect(error?.code == .config)
        #expect(error?.message.contains("wal_level is 'replica'") == true)
        #expect(error?.message.contains("set wal_level = logical in postgresql.conf and restart the server") == true)
        #expect(try db.sql("SELECT count(*) FROM pg_publication") == "0")
        #expect(try db.sql("SELECT count(*) FROM pg_replication_slots") == "0")
    }

    @Test func readinessNamesWhatToFix() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE good (id int PRIMARY KEY);
            CREATE TABLE nopk (id int);
            CREATE TABLE fullt (id int);
            ALTER TABLE fullt REPLICA IDENTITY FULL;
            CREATE TABLE nothing (id int PRIMARY KEY);
            ALTER TABLE nothing REPLICA IDENTITY NOTHING;
            CREATE TABLE "Mixed Case" (id int);
            CREATE VIEW v AS SELECT 1 AS id;
            CREATE ROLE \(db.name)_plain LOGIN PASSWORD 'pw';
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(db.name)_plain;
            """)
        let source = db.changeSource()
        try source.checkReadiness(tables: [TableName(name: "good"), TableName(schema: "public", name: "fullt")])
        #expect(try db.sql("SELECT count(*) FROM pg_publication") == "0")

        let nopk = #expect(throws: FerryError.self) { try source.checkReadiness(tables: [TableName(name: "nopk")]) }
        #expect(nopk?.code == .schema)
        #expect(nopk?.table == "nopk")
        #expect(nopk?.message.contains("public.nopk has no primary key") == true)
        #expect(nopk?.message.contains("ALTER TABLE public.nopk REPLICA IDENTITY FULL;") == true)

        let several = #expect(throws: FerryError.self) {
            try source.checkReadiness(tables: [
                TableName(name: "nothing"), TableName(name: "Mixed Case"), TableName(name: "v"),
                TableName(name: "ghost"),
            ])
        }
        let message = several?.message ?? ""
        #expect(message.contains("public.nothing has REPLICA IDENTITY NOTHING"))
        #expect(message.contains("ALTER TABLE public.nothing REPLICA IDENTITY DEFAULT;"))
        #expect(message.contains(#"ALTER TABLE public."Mixed Case" REPLICA IDENTITY FULL;"#))
        #expect(message.contains("public.v is not a table"))
        #expect(message.contains("public.ghost does not exist"))

        var plain = db.config
        plain.user = "\(db.name)_plain"
        plain.password = "pw"
        let role = PostgresChangeSource(config: plain, slotName: source.slotName, publicationName: "p")
        let denied = #expect(throws: FerryError.self) { try role.checkReadiness(tables: [TableName(name: "good")]) }
        #expect(denied?.code == .config)
        #expect(denied?.message.contains("role \(db.name)_plain") == true)
        #expect(denied?.message.contains("ALTER ROLE \(db.name)_plain REPLICATION;") == true)
        // The replication connection itself is refused the same way.
        let refused = #expect(throws: FerryError.self) { _ = try role.openStream(from: .zero, keys: [:]) }
        #expect(refused?.code == .config)
        #expect(refused?.message.contains("REPLICATION;") == true)

        // A replication role that does not own the table cannot add it to a publication.
        try db.sql("ALTER ROLE \(db.name)_plain REPLICATION")
        let owner = #expect(throws: FerryError.self) { try role.checkReadiness(tables: [TableName(name: "good")]) }
        #expect(owner?.code == .config)
        #expect(owner?.message.contains("ownership of public.good") == true)

        let badName = PostgresChangeSource(config: db.config, slotName: "Bad-Name", publicationName: "p")
        let invalid = #expect(throws: FerryError.self) { try badName.checkReadiness(tables: []) }
        #expect(invalid?.code == .config)
    }

    @Test func aMissingSlotSaysHowToResynchronise() throws {
        let db = try PGTestDB.make()
        let source = db.changeSource()
        let error = #expect(throws: FerryError.self) { _ = try source.openStream(from: .zero, keys: [:]) }
        #expect(error?.code == .config)
        #expect(error?.sqlState == "42704")
        #expect(error?.message.contains("replication slot \(source.slotName) does not exist") == true)
        #expect(
            error?.message.contains("`ferry cleanup --config <file>` then `ferry run --config <file>`") == true)
        #expect(error?.message.contains("\n") == false)
    }

    @Test func anUnknownPublicationFailsOnceChangesAreDecoded() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE t (id int PRIMARY KEY)")
        let source = db.changeSource(publication: "never_created")
        defer { try? source.dropSlotAndPublication() }
        try source.createSlot(temporary: false).close()
        try db.sql("INSERT INTO t VALUES (1)")
        try withStream(source) { stream in
            let error = #expect(throws: FerryError.self) { _ = try StreamLog.read(stream, commits: 1) }
            #expect(error?.code == .config)
            #expect(error?.message.contains("publication never_created does not exist") == true)
            #expect(error?.message.contains("ferry cleanup --config <file>") == true)
        }
    }

    @Test func aSlotInUseIsRefusedNamingItsHolder() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE t (id int PRIMARY KEY)")
        let source = db.changeSource()
        defer { try? source.dropSlotAndPublication() }
        try source.preparePublication(tables: [TableName(name: "t")])
        try source.createSlot(temporary: false).close()
        try withStream(source) { _ in
            let busy = #expect(throws: FerryError.self) { _ = try source.openStream(from: .zero, keys: [:]) }
            #expect(busy?.sqlState == "55006")
            #expect(busy?.message.contains("in use by another connection (PID ") == true)
            let drop = #expect(throws: FerryError.self) { try source.dropSlotAndPublication() }
            #expect(drop?.message.contains("pg_terminate_backend(") == true)
            let again = #expect(throws: FerryError.self) { _ = try source.createSlot(temporary: false) }
            #expect(again?.message.contains("already exists") == true)
        }
    }

    @Test func aPublicationThatWouldNamePartitionsInsteadOfTheirTableIsRefused() throws {
        let db = try PGTestDB.make()
        try db.sql(
            """
            CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id);
            CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
            CREATE PUBLICATION ferry_pub FOR TABLE p;
            """)
        let source = db.changeSource()
        let refused = #expect(throws: FerryError.self) { try source.preparePublication(tables: [TableName(name: "p")]) }
        #expect(refused?.message.contains("SET (publish_via_partition_root = true)") == true)
        try db.sql("ALTER PUBLICATION ferry_pub SET (publish_via_partition_root = true)")
        try source.preparePublication(tables: [TableName(name: "p")])
    }

    @Test func thePublicationIsCreatedExtendedAndDropped() throws {
        let db = try PGTestDB.make()
        try db.sql("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);")
        let source = db.changeSource()
        func members() throws -> String {
            try db.sql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables")
        }
        try source.preparePublication(tables: [TableName(name: "a")])
        #expect(try members() == "a")
        try source.preparePublication(tables: [TableName(name: "b"), TableName(schema: "public", name: "a")])
        #expect(try members() == "a,b")
        // Never removes a table.
        try source.preparePublication(tables: [TableName(name: "b")])
        #expect(try members() == "a,b")
        try db.sql("ALTER PUBLICATION ferry_pub SET (publish = 'insert')")
        let partial = #expect(throws: FerryError.self) { try source.preparePublication(tables: [TableName(name: "a")]) }
        #expect(partial?.message.contains("publish = 'insert, update, delete, truncate'") == true)

        try source.createSlot(temporary: false).close()
        #expect(try source.slotState() != nil)
        try source.dropSlotAndPublication()
        #expect(try source.slotState() == nil)
        #expect(try db.sql("SELECT count(*) FROM pg_publication") == "0")
        // Nothing left: not an error.
        try source.dropSlotAndPublication()
    }
}
