import FerryCore
import Testing

@testable import FerryEngine

/// What a table run does, decided from the spec and the target's facts alone: no database.
@Suite struct TablePlannerTests {
    let schema = TableSchema(
        columns: [
            Column(name: "id", type: .int64, nullable: false), Column(name: "updated", type: .timestamp),
            Column(name: "name", type: .text),
        ], primaryKey: ["id"])

    func spec(
        _ mode: SyncMode, column: String? = nil, type: IncrementalType? = nil, buffer: Int = 0,
        fallback: Bool = false, rowLimit: Int? = nil, primaryKey: [String]? = nil
    ) -> TableSpec {
        TableSpec(
            name: TableName(name: "t"), syncMode: mode, incrementalColumn: column, incrementalType: type,
            dateBufferDays: buffer, fallbackToFull: fallback, rowLimit: rowLimit, primaryKey: primaryKey)
    }

    @Test func fullReplaceAlwaysLoadsEverything() throws {
        let planner = TablePlanner(spec: spec(.fullReplace))
        let loads = try planner.loads(targetExists: true, targetRows: 10)
        #expect(loads.first == .full(label: "full"))
        #expect(loads.fallback == nil)
        #expect(try planner.watermarkColumn(for: loads.first, target: schema) == nil, "a full load reads no watermark")
    }

    @Test func incrementalIntoAMissingTargetIsAnInitialLoadWithoutAWatermark() throws {
        let planner = TablePlanner(spec: spec(.incremental, column: "id", type: .identity))
        let loads = try planner.loads(targetExists: false, targetRows: 0)
        #expect(loads.first == .incremental(label: "initial load"))
        #expect(try planner.watermarkColumn(for: loads.first, target: nil) == nil)
        let w = try planner.write(loads.first, schema: schema, watermark: nil)
        #expect(w.filter == nil && w.mode == .append && w.label == "initial load")
    }

    @Test func smartSyncLoadsAnEmptyTargetInFullAndOtherwiseIncrementallyWithItsFallback() throws {
        let planner = TablePlanner(spec: spec(.smartSync, column: "updated", type: .datetime, fallback: true))
        #expect(try planner.loads(targetExists: true, targetRows: 0).first == .full(label: "full (target empty)"))
        #expect(try planner.loads(targetExists: false, targetRows: 0).fallback == nil)
        let loads = try planner.loads(targetExists: true, targetRows: 5)
        #expect(loads.first == .incremental(label: nil))
        #expect(loads.fallback != nil)
        let noFallback = TablePlanner(spec: spec(.smartSync, column: "updated", type: .datetime))
        #expect(try noFallback.loads(targetExists: true, targetRows: 5).fallback == nil)
    }

    @Test func aFallbackIsTakenOnlyForErrorsAFullLoadCanMend() {
        let planner = TablePlanner(spec: spec(.smartSync, column: "updated", type: .datetime, fallback: true))
        #expect(planner.fallsBack(after: FerryError(.schema, "column type changed")))
        #expect(!planner.fallsBack(after: FerryError(.notConfirmed, "not confirmed")))
        #expect(!planner.fallsBack(after: FerryError(.connection, "connection reset")), "transient: retried instead")
        #expect(planner.fallbackLabel(after: FerryError(.schema, "boom")) == "full (fallback: boom)")
    }

    @Test func theWatermarkIsTheTargetsIncrementalColumnAndItMustExistThere() throws {
        let planner = TablePlanner(spec: spec(.incremental, column: "updated", type: .datetime))
        #expect(try planner.watermarkColumn(for: .incremental(label: nil), target: schema)?.name == "updated")
        let without = TableSchema(columns: [Column(name: "id", type: .int64)], primaryKey: ["id"])
        #expect(throws: FerryError.self) { try planner.watermarkColumn(for: .incremental(label: nil), target: without) }
    }

    @Test func identityReadsRowsAfterTheWatermarkAndAppends() throws {
        let planner = TablePlanner(spec: spec(.incremental, column: "id", type: .identity))
        let w = try planner.write(.incremental(label: nil), schema: schema, watermark: .int(41))
        #expect(w.filter == RowFilter(column: "id", comparison: .greaterThan, value: .int(41)))
        #expect(w.mode == .append)
    }

    @Test func aDateLookBackReadsFromTheWatermarkMinusTheBufferAndUpsertsByKey() throws {
        let day: Int64 = 86_400_000_000
        let planner = TablePlanner(spec: spec(.incremental, column: "updated", type: .datetime, buffer: 7))
        let w = try planner.write(
            .incremental(label: nil), schema: schema, watermark: .timestamp(30 * day, zoned: false))
        #expect(
            w.filter
                == RowFilter(
                    column: "updated", comparison: .greaterThanOrEqual, value: .timestamp(23 * day, zoned: false)))
        #expect(w.mode == .upsert(key: ["id"]))
        #expect(w.label == "incremental (buffer 7d, upsert)")
    }

    @Test func aLookBackWithoutAPrimaryKeyIsRefusedWithWhatToDo() {
        let keyless = TableSchema(columns: schema.columns)
        let planner = TablePlanner(spec: spec(.incremental, column: "updated", type: .datetime, buffer: 2))
        #expect {
            try planner.write(.incremental(label: nil), schema: keyless, watermark: nil)
        } throws: { error in
            (error as? FerryError)?.message.contains("set primary_key") == true
        }
    }

    @Test func theExpectedRowsAreTheSourceCountCutAtRowLimit() throws {
        let planner = TablePlanner(spec: spec(.fullReplace, rowLimit: 100))
        let plan = try planner.plan(
            .full(label: "full"), schema: schema, watermark: nil, sourceRows: 250, targetRows: 3,
            describeRead: { _, limit in "SELECT LIMIT \(limit ?? -1)" }, describeWrite: { _, _ in ["INSERT"] })
        #expect(plan.expectedRows == 100)
        #expect(plan.targetRows == 3)
        #expect(plan.readStatement == "SELECT LIMIT 100")
        #expect(plan.modeChosen == "full")
        let small = try planner.plan(
            .full(label: "full"), schema: schema, watermark: nil, sourceRows: 7, targetRows: 0,
            describeRead: { _, _ in "" }, describeWrite: { _, _ in [] })
        #expect(small.expectedRows == 7)
    }

    @Test func cdcTablesAreNotPlannedOneAtATime() {
        let planner = TablePlanner(spec: spec(.cdc))
        #expect(throws: FerryError.self) { try planner.loads(targetExists: true, targetRows: 1) }
    }
}
