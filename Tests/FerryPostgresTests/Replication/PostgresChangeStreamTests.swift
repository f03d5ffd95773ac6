import FerryCore
import FerryTestKit
import Foundation
import Testing

@testable import FerryPostgres

/// A table with every mapped type, domains and unmapped types; rows of extremes, specials, BC dates and NULLs are
/// inserted after the slot exists.
let everyTypeSQL = """
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE DOMAIN price AS numeric(12,2);
    CREATE DOMAIN label AS text;
    CREATE TABLE every_type (
        id integer PRIMARY KEY, flag boolean, small smallint, medium integer, big bigint NOT NULL DEFAULT 0,
        r4 real, r8 double precision, cents numeric(10,2), wide numeric(38,10), anynum numeric, bignum numeric(50,5),
        hundreds numeric(5,-2), name text, vc varchar(20), ch char(4), nm name, payload bytea, uid uuid, doc json,
        docb jsonb, born date, at_time time, happened timestamp, happened_tz timestamptz, span interval, addr inet,
        feeling mood, tags integer[], pos posint, cost price, lbl label, zoned_time timetz, letter "char",
        bits bit varying(8), pt point
    );
    """

let everyTypeRows = """
    INSERT INTO every_type VALUES
    (1, true, 32767, 2147483647, 9223372036854775807, 3.4028235e38, 1.7976931348623157e308, 99999999.99,
     9999999999999999999999999999.9999999999, 123456789012345678901234567890.123456789, 1.5, 9999900,
     E'héllo 🌍 中文 "q" \\\\ \\t tab', 'abc', 'ab', 'a name', '\\x00ff10', '123E4567-E89B-12D3-A456-426614174000',
     '{"a": [1, 2]}', '{"b": 1, "a": 2}', '5874897-12-31', '24:00:00', '9999-12-31 23:59:59.999999',
     '2024-02-29 12:34:56.789012+05:30', '1 year 2 mons 3 days 04:05:06.7', '192.168.1.5/24', 'happy', '{1,NULL,3}',
     5, 1234.5, 'lbl', '01:02:03+02', 'x', B'1010', '(1.5,-2)'),
    (2, false, -32768, -2147483648, -9223372036854775808, 1.4e-45, 4.9e-324, -0.05,
     -9999999999999999999999999999.9999999999, -0.00012, -12345678901234567890123456789012345678901234.5,
     -9999900, '', '', '', '', '\\x', '00000000-0000-0000-0000-000000000000', '[]', '{}', '4713-11-24 BC',
     '00:00:00', '4713-11-24 00:00:00 BC', '4713-11-24 00:00:00+00 BC', '-178000000 years', '::1', 'sad', '{}',
     1, -0.01, '', '00:00:00-14', E'\\\\', B'', '(0,0)'),
    (3, NULL, NULL, NULL, 0, 'NaN', '-Infinity', NULL, NULL, 'Infinity', 'NaN', NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, '0044-03-15 BC', NULL, '0044-03-15 12:00:00.5 BC', '1969-12-31 23:59:59.999999+00', NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, NULL, 0, 0, 0, 'Infinity', '-0', 0, 0, '-Infinity', 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     '2000-01-01', '00:00:00.000001', '1970-01-01 00:00:00', '2000-01-01 00:00:00+00', NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (5, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    """

/// A database with `sql` run, a publication over `tables` and the slot created (its snapshot closed at once).
func replicatedDB(
    _ sql: String, tables: [String], binaryValues: Bool = false
) throws -> (PGTestDB, PostgresChangeSource) {
    let db = try PGTestDB.make()
    try db.sql(sql)
    var source = db.changeSource()
    source.binaryValues = binaryValues
    try source.preparePublication(tables: tables.map { TableName(parsing: $0) })
    try source.createSlot(temporary: false).close()
    return (db, source)
}

@Suite struct PostgresChangeStreamTests {
    /// With types Ferry reads as text (interval, inet, enums, arrays...), the stream sends text values.
    @Test func everyTypeStreamsExactlyAsTheSnapshotReadsIt() throws {
        try streamsAsTheSnapshotReads("every_type", sql: everyTypeSQL, rows: everyTypeRows, binary: false)
    }

    /// With only types Ferry reads natively (and binary values turned on), the stream asks for binary values, read
    /// exactly as binary COPY's.
    @Test func nativeTypesStreamInBinaryExactlyAsTheSnapshotReadsThem() throws {
        let native =
            "id, flag, small, medium, big, r4, r8, cents, wide, anynum, bignum, hundreds, name, vc, ch, nm, payload, "
            + "uid, doc, docb, born, at_time, happened, happened_tz, pos, cost, lbl"
        try streamsAsTheSnapshotReads(
            "native_types",
            sql: everyTypeSQL + ";CREATE TABLE native_types AS SELECT \(native) FROM every_type WITH NO DATA;"
                + "ALTER TABLE native_types ADD PRIMARY KEY (id)",
            rows: everyTypeRows + ";INSERT INTO native_types SELECT \(native) FROM every_type", binary: true)
    }

    /// Rows inserted, two of them moved to new keys, streamed: each streamed value equals the snapshot's.
    func streamsAsTheSnapshotReads(_ table: String, sql: String, rows rowsSQL: String, binary: Bool) throws {
        let (db, source) = try replicatedDB(sql, tables: [table], binaryValues: binary)
        defer { try? source.dropSlotAndPublication() }
        #expect(source.binaryValuesAreReadable([TableName(schema: "public", name: table)]) == binary)
        try db.sql(rowsSQL)
        try db.sql("UPDATE \(table) SET id = id + 100 WHERE id IN (1, 2)")
        let (snapshotSchema, expected) = try snapshotRows(db, table)
        #expect(expected.count == 5)

        let log = try withStream(source) { try StreamLog.read($0, commits: 2) }
        let relation = try #require(log.relations.first)
        #expect(relation.0 == TableName(schema: "public", name: table))
        // The stream describes the table as the snapshot reader does (domains by their base type, nullability,
        // the type's spelling); only indexes are not part of it.
        #expect(relation.1.columns == snapshotSchema.columns)
        #expect(relation.1.primaryKey == ["id"])

        let rows = log.rows
        #expect(rows.count == 7)
        for (table, change) in rows {
            #expect(table == relation.0)
            let row = try #require(change.row)
            #expect(change.unchanged.isEmpty)
            guard case .int(let id)? = row.first else {
                Issue.record("row without id: \(row)")
                continue
            }
            // Rows 1 and 2 were moved to 101 and 102 after their insert: the snapshot has them there.
            guard let want = expected[.int(id)] ?? expected[.int(id + 100)] else {
                Issue.record("unexpected row \(row)")
                continue
            }
            if change.kind == .insert {
                #expect(change.oldKey == [.int(id)])
            } else {
                #expect(change.kind == .update)
                #expect(change.oldKey == [.int(id - 100)])
            }
            for (i, column) in snapshotSchema.columns.enumerated() where i > 0 {
                #expect(
                    sameValue(row[i], want[i]), "row \(id) column \(column.name): \(show(row[i])) vs \(show(want[i]))")
            }
        }
        let inserted = rows.filter { $0.1.kind == .insert }.compactMap { $0.1.row?.first ?? nil }
        #expect(Set(inserted) == [.int(1), .int(2), .int(3), .int(4), .int(5)])
    }

    @Test func valuesTheSnapshotRefusesAreRefusedTheSameWay() throws {
        let (db, source) = try replicatedDB(
            "CREATE TABLE inf (id int PRIMARY KEY, d date, amount numeric(10,2))", tables: ["inf"])
        defer { try? source.dropSlotAndPublication() }
        try db.sql("INSERT INTO inf VALUES (1, 'infinity', 1)")
        try withStream(source) { stream in
            let error = #expect(throws: FerryError.self) { _ = try StreamLog.read(stream, commits: 1) }
            #expect(error?.code == .data)
            #expect(error?.table == "public.inf")
            #expect(error?.message.contains("column d: cannot represent infinity") == true)
        }
        let snapshot = #expect(throws: FerryError.self) { _ = try readAll(db, "inf") }
        #expect(snapshot?.message.contains("column d: cannot represent infinity") == true)
    }

    @Test func updatesDeletesTruncatesArriveAndRollbacksNever() throws {
        let (db, source) = try replicatedDB(
            """
            CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
            CREATE TABLE full_items (id int, name text);
            ALTER TABLE full_items REPLICA IDENTITY FULL;
            """, tables: ["items", "full_items"])
        defer { try? source.dropSlotAndPublication() }
        try db.sql(
            """
            INSERT INTO items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
            BEGIN; INSERT INTO items VALUES (99, 'rolled back', 0); UPDATE items SET qty = 0; ROLLBACK;
            UPDATE items SET qty = 10 WHERE id = 1;
            UPDATE items SET id = 20, name = 'twenty' WHERE id = 2;
            DELETE FROM items WHERE id = 3;
            INSERT INTO full_items VALUES (1, 'a'), (1, 'a');
            DELETE FROM full_items WHERE name = 'a';
            TRUNCATE items, full_items;
            INSERT INTO items VALUES (4, NULL, NULL);
            """)
        let log = try withStream(source) { try StreamLog.read($0, commits: 8) }
        let items = TableName(schema: "public", name: "items")
        let fullItems = TableName(schema: "public", name: "full_items")
        let changes = log.rows.map { (table: $0.0.name, kind: $0.1.kind, row: $0.1.row, oldKey: $0.1.oldKey) }
        #expect(changes.count == 11)
        guard changes.count == 11 else { return }
        #expect(changes[0].row == [.int(1), .text("one"), .int(1)])
        #expect(changes[2].row == [.int(3), .text("three"), .int(3)])
        #expect(changes[3].kind == .update && changes[3].row == [.int(1), .text("one"), .int(10)])
        #expect(changes[3].oldKey == [.int(1)])
        // The key changed: the old key comes from the K tuple.
        #expect(changes[4].kind == .update && changes[4].row == [.int(20), .text("twenty"), .int(2)])
        #expect(changes[4].oldKey == [.int(2)])
        #expect(changes[5].kind == .delete && changes[5].row == nil && changes[5].oldKey == [.int(3)])
        // No primary key, REPLICA IDENTITY FULL: every column is the key, the old row comes whole.
        #expect(changes[6].table == "full_items" && changes[6].oldKey == [.int(1), .text("a")])
        #expect(changes[8].kind == .delete && changes[8].oldKey == [.int(1), .text("a")])
        #expect(changes[9].kind == .delete && changes[9].oldKey == [.int(1), .text("a")])
        #expect(changes[10].row == [.int(4), nil, nil])
        let truncates = log.events.compactMap { if case .truncate(let t) = $0 { t } else { nil } }
        #expect(truncates == [[items, fullItems]])
        // Neither the rolled-back insert (99) nor its update (qty 0) arrived.
        #expect(!log.rows.contains { ($0.1.row ?? []).contains { $0 == .int(99) || $0 == .int(0) } })
        // Every transaction is whole: begin, its events, commit; commit ends only grow.
        #expect(log.commitEnds == log.commitEnds.sorted())
    }

    @Test func toastedValuesLeftUnchangedAreMarkedOrTakenFromTheOldRow() throws {
        let (db, source) = try replicatedDB(
            """
            CREATE TABLE docs (id int PRIMARY KEY, body text, n int);
            ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
            CREATE TABLE full_docs (id int PRIMARY KEY, body text, n int);
            ALTER TABLE full_docs ALTER COLUMN body SET STORAGE EXTERNAL;
            ALTER TABLE full_docs REPLICA IDENTITY FULL;
            """, tables: ["docs", "full_docs"])
        defer { try? source.dropSlotAndPublication() }
        let body = String(repeating: "ferry ", count: 1000)
        try db.sql(
            """
            INSERT INTO docs VALUES (1, repeat('ferry ', 1000), 1);
            INSERT INTO full_docs VALUES (1, repeat('ferry ', 1000), 1);
            UPDATE docs SET n = 2;
            UPDATE full_docs SET n = 2;
            """)
        let keys = [TableName(name: "full_docs"): ["id"]]
        let log = try withStream(source, keys: keys) { try StreamLog.read($0, commits: 4) }
        let rows = log.rows.map(\.1)
        #expect(rows.count == 4)
        guard rows.count == 4 else { return }
        #expect(rows[0].row == [.int(1), .text(body), .int(1)])
        #expect(rows[2].kind == .update)
        #expect(rows[2].unchanged == [1])
        #expect(rows[2].row == [.int(1), nil, .int(2)])
        #expect(rows[3].unchanged.isEmpty)
        #expect(rows[3].row == [.int(1), .text(body), .int(2)])
        #expect(rows[3].oldKey == [.int(1)])
    }

    @Test func confirmingMovesTheSlotAndARestartDoesNotResend() throws {
        let (db, source) = try replicatedDB("CREATE TABLE t (id int PRIMARY KEY)", tables: ["t"])
        defer { try? source.dropSlotAndPublication() }
        try db.sql("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")
        let end = try withStream(source) { stream in
            let log = try StreamLog.read(stream, commits: 2)
            let end = try #require(log.commitEnds.last)
            try stream.confirm(end)
            #expect(try db.waitForConfirmed(source, atLeast: end) == end)
            return end
        }
        try db.sql("INSERT INTO t VALUES (3)")
        let log = try withStream(source) { try StreamLog.read($0, commits: 1) }
        #expect(log.rows.map { $0.1.row ?? [] } == [[.int(3)]])
        #expect(log.commitEnds.allSatisfy { $0 > end })
        #expect(try db.slotRow(source)?.active == false)
    }

    @Test func aQuietSlotAdvancesThroughIdleEvents() throws {
        let (db, source) = try replicatedDB(
            "CREATE TABLE quiet (id int PRIMARY KEY); CREATE TABLE busy (id int PRIMARY KEY);", tables: ["quiet"])
        defer { try? source.dropSlotAndPublication() }
        try withStream(source) { stream in
            // Writes to an unpublished table move the WAL, never the stream; the status timer's keepalives do.
            try db.sql("INSERT INTO busy SELECT generate_series(1, 100)")
            let written = try #require(LSN(try db.sql("SELECT pg_current_wal_lsn()")))
            let (walEnd, log) = try #require(
                try StreamLog.idle(stream, atLeast: written), "no idle event at or past \(written)")
            #expect(log.rows.isEmpty)
            try stream.confirm(walEnd)
            #expect(try db.waitForConfirmed(source, atLeast: walEnd) == walEnd)

            // requestStatus makes the server answer, with an idle event even if nothing moved. (How soon is the
            // state machine's rule, tested without a server in ReplicationStatusStateMachineTests.)
            try stream.requestStatus()
            let (again, _) = try #require(try StreamLog.idle(stream, atLeast: walEnd), "no idle event after a status")
            #expect(again >= walEnd)
        }
    }
}

extension PostgresChangeStreamTests {
    @Test func theServerNeverTimesTheStreamOutWhileItIsRead() throws {
        let (db, _) = try replicatedDB("CREATE TABLE t (id int PRIMARY KEY)", tables: ["t"])
        // The server asks for a status update after half its timeout and drops the stream after all of it: reading
        // for well past the timeout, the stream is still open only if the reads answered. (When statuses go out is
        // the state machine's rule, tested without a server in ReplicationStatusStateMachineTests.)
        var config = db.config
        config.options = "-c wal_sender_timeout=2s"
        let source = PostgresChangeSource(
            config: config, slotName: db.changeSource().slotName, publicationName: db.changeSource().publicationName)
        defer { try? source.dropSlotAndPublication() }
        try withStream(source) { stream in
            let until = Date().addingTimeInterval(5)
            while Date() < until { _ = try stream.next(timeout: 1) }
            try db.sql("INSERT INTO t VALUES (1)")
            let log = try StreamLog.read(stream, commits: 1)
            #expect(log.rows.count == 1)
        }
    }

    @Test func keepalivesStayRareWhileOtherTablesWrite() throws {
        let (db, source) = try replicatedDB(
            "CREATE TABLE quiet (id int PRIMARY KEY); CREATE TABLE busy (id int PRIMARY KEY);", tables: ["quiet"])
        defer { try? source.dropSlotAndPublication() }
        let stream = try #require(try source.openStream(from: .zero, keys: [:]) as? PostgresChangeStream)
        defer { stream.close() }
        // Answering each keepalive with a position behind the server's makes it ping again at once (E.5): thousands
        // per second. Confirming each idle position is what a caller does; the server then pings only when the
        // WAL moves: a few keepalives per write, however long the writes take. (Which keepalives are idle and
        // answered is the state machine's rule, tested without a server in ReplicationStatusStateMachineTests.)
        let n = 20
        var idle = 0
        for i in 1...n {
            try db.sql("INSERT INTO busy VALUES (\(i))")
            if case .idle(let walEnd)? = try stream.next(timeout: 0.2) {
                idle += 1
                try stream.confirm(walEnd)
            }
        }
        #expect(idle > 0, "no idle event in \(n) writes to an unpublished table")
        #expect(stream.keepalives < 5 * n, "\(stream.keepalives) keepalives for \(n) writes")
    }
}

func show(_ value: ScalarValue?) -> String {
    value.map { "\($0)" } ?? "NULL"
}
