import FerryCore
import FerryEngine
import Testing

/// Every rule of the advisor `ferry init` uses, from facts alone: no database.
@Suite struct SyncModeAdvisorTests {
    static let streams = StreamingReadiness(canStream: true, reason: "logical")
    static let noStream = StreamingReadiness(canStream: false, reason: "wal_level is 'replica'")

    static func table(
        _ name: String, columns: [(String, ColumnType)], key: [String], rows: Int64? = 1_000_000,
        identity: [String] = []
    ) -> CatalogTable {
        CatalogTable(
            name: TableName(schema: "public", name: name),
            schema: TableSchema(columns: columns.map { Column(name: $0.0, type: $0.1) }, primaryKey: key),
            rowEstimate: rows, identityColumns: identity)
    }

    let advisor = SyncModeAdvisor(smallTableRows: 10_000, lookBackDays: 1)

    @Test func keyedTableOfAStreamingSourceIsCDC() {
        let t = Self.table("orders", columns: [("id", .int64), ("updated_at", .timestampTZ)], key: ["id"], rows: 5)
        let p = advisor.propose(t, streaming: Self.streams)
        #expect(p.syncMode == .cdc)
        #expect(p.incrementalColumn == nil)
        #expect(p.reason.contains("id") && p.reason.contains("stream"))
    }

    @Test func keylessTableIsFullReplaceEvenWhenTheSourceStreams() {
        let t = Self.table("log", columns: [("line", .text), ("updated_at", .timestamp)], key: [])
        for streaming in [Self.streams, Self.noStream] {
            let p = advisor.propose(t, streaming: streaming)
            #expect(p.syncMode == .fullReplace)
            #expect(p.reason.contains("no primary key"))
        }
    }

    @Test(arguments: ["updated_at", "modified", "last_modified", "Updated_At", "modified_at"])
    func updateTimeColumnGetsDatetimeWithLookBack(column: String) {
        let t = Self.table("products", columns: [("id", .int64), (column, .timestamp)], key: ["id"])
        let p = advisor.propose(t, streaming: Self.noStream)
        #expect(p.syncMode == .incremental)
        #expect(p.incrementalColumn == column)
        #expect(p.incrementalType == .datetime)
        #expect(p.dateBufferDays == 1)
        #expect(p.reason.contains(column) && p.reason.contains("1 day"))
    }

    @Test func updateDateColumnGetsDate() {
        let t = Self.table("daily", columns: [("id", .text), ("updated_on", .date)], key: ["id"])
        let p = SyncModeAdvisor(lookBackDays: 7).propose(t, streaming: Self.noStream)
        #expect(p.incrementalType == .date)
        #expect(p.dateBufferDays == 7)
    }

    @Test func aTextColumnNamedUpdatedAtIsNoWatermark() {
        let t = Self.table("notes", columns: [("id", .int32), ("updated_at", .text)], key: ["id"])
        let p = advisor.propose(t, streaming: Self.noStream)
        #expect(p.incrementalType == .identity)
    }

    @Test func integerKeyWithoutUpdateTimeIsIncrementalIdentity() {
        let t = Self.table(
            "events", columns: [("id", .int64), ("created_at", .timestampTZ)], key: ["id"], identity: ["id"])
        let p = advisor.propose(t, streaming: Self.noStream)
        #expect(p.syncMode == .incremental)
        #expect(p.incrementalColumn == "id")
        #expect(p.incrementalType == .identity)
        #expect(p.dateBufferDays == nil)
        #expect(p.reason.contains("generated integer key id") && p.reason.contains("only inserted"))
    }

    @Test func smallTableIsFullReplace() {
        let t = Self.table("countries", columns: [("id", .int32), ("updated_at", .timestamp)], key: ["id"], rows: 250)
        let p = advisor.propose(t, streaming: Self.noStream)
        #expect(p.syncMode == .fullReplace)
        #expect(p.reason.contains("small") && p.reason.contains("250"))
    }

    @Test func unknownRowCountIsNotSmall() {
        let t = Self.table("events", columns: [("id", .int64)], key: ["id"], rows: nil)
        let p = advisor.propose(t, streaming: Self.noStream)
        #expect(p.incrementalType == .identity)
        #expect(p.reason.contains("row count unknown"))
    }

    @Test func compositeOrTextKeyWithoutUpdateTimeIsFullReplace() {
        let composite = Self.table("items", columns: [("o", .int64), ("n", .int32)], key: ["o", "n"])
        let text = Self.table("codes", columns: [("code", .text)], key: ["code"])
        for t in [composite, text] {
            let p = advisor.propose(t, streaming: Self.noStream)
            #expect(p.syncMode == .fullReplace)
            #expect(p.reason.contains("copied whole"))
        }
    }

    @Test func everyTableGetsOneReasonInOrder() {
        let tables = [
            Self.table("a", columns: [("id", .int64)], key: ["id"]),
            Self.table("b", columns: [("x", .text)], key: []),
        ]
        let proposal = advisor.propose(tables: tables, streaming: Self.streams)
        #expect(proposal.tables.map(\.name.name) == ["a", "b"])
        #expect(proposal.tables.map(\.syncMode) == [.cdc, .fullReplace])
        #expect(proposal.tables.allSatisfy { !$0.reason.isEmpty && !$0.reason.contains("\n") })
        #expect(proposal.streaming == Self.streams)
    }
}
