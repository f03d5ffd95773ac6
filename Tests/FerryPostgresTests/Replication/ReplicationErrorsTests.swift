import FerryCore
import Foundation
import Testing

@testable import FerryPostgres

@Suite struct ReplicationErrorsTests {
    @Test func replicationConnectionsPinTheirSettingsLast() {
        let config = PostgresConnectionConfig(
            database: "shop", user: "ferry", commandTimeout: 30, options: "-c DateStyle=SQL,DMY")
        let info = config.replicationConninfo()
        #expect(info.hasSuffix(" replication='database'"))
        #expect(!info.contains("statement_timeout"))
        #expect(info.contains("client_encoding='UTF8'"))
        // The user's options come first, so the pinned text-format settings win.
        let options = info.range(of: "options='").map { String(info[$0.upperBound...]) } ?? ""
        #expect(options.hasPrefix("-c TimeZone=UTC"))
        #expect(options.contains("-c DateStyle=SQL,DMY -c TimeZone=UTC -c DateStyle=ISO"))
        #expect(options.contains("-c bytea_output=hex'"))
    }

    @Test func startFailuresSayWhatToDo() {
        func server(_ state: String, _ text: String) -> FerryError {
            FerryError(.database, "starting replication failed: \(text) (SQLSTATE \(state))", sqlState: state)
        }
        let busy = ReplicationErrors.startFailed(
            server("55006", #"replication slot "s" is active for PID 4242"#), slot: "s", publication: "p")
        #expect(busy.code == .transient)
        #expect(busy.message.contains("(PID 4242)"))
        let lost = ReplicationErrors.startFailed(
            server("55000", #"can no longer get changes from replication slot "s""#), slot: "s", publication: "p")
        #expect(lost.code == .config)
        #expect(lost.message.contains("invalidated"))
        #expect(lost.message.contains("`ferry cleanup --config <file>` then `ferry run --config <file>`"))
        let elsewhere = ReplicationErrors.startFailed(
            server("55000", #"replication slot "s" was not created in this database"#), slot: "s", publication: "p")
        #expect(elsewhere.message.contains("belongs to another database"))
        let other = server("XX000", "boom")
        #expect(ReplicationErrors.startFailed(other, slot: "s", publication: "p").message == other.message)
    }

    @Test func namesFollowTheServersRules() throws {
        try ReplicationErrors.checkSlotName("ferry_shop_1")
        for bad in ["", "Shop", "a-b", "é", String(repeating: "a", count: 64)] {
            #expect(throws: FerryError.self, "\(bad)") { try ReplicationErrors.checkSlotName(bad) }
        }
        let long = String(repeating: "s", count: 63)
        let temporary = PostgresChangeSource.temporaryName(for: long)
        #expect(temporary.utf8.count <= 63)
        #expect(temporary.contains("_tmp_"))
        try ReplicationErrors.checkSlotName(temporary)
        #expect(PostgresChangeSource.temporaryName(for: "s") != PostgresChangeSource.temporaryName(for: "s"))
        #expect(ReplicationErrors.identifier("ferry_role") == "ferry_role")
        #expect(ReplicationErrors.identifier("Ferry Role") == #""Ferry Role""#)
        #expect(ReplicationErrors.activePID(in: "slot is active for PID 17") == 17)
        #expect(ReplicationErrors.activePID(in: "no pid here") == nil)
    }
}
