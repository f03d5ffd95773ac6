public import FerryCore

/// What a run will do (or did) to one table, decided before any row moves.
public struct TablePlan: Sendable, Hashable {
    public var table: String
    public var target: String
    public var syncMode: SyncMode
    /// `full`, `incremental`, `upsert`, `full (target empty)`, ...
    public var modeChosen: String
    public var writeMode: WriteMode
    public var filter: RowFilter?
    public var watermark: ScalarValue?
    public var expectedRows: Int64
    public var targetRows: Int64
    public var readStatement: String
    public var writeStatements: [String]

    public var strategy: String {
        switch writeMode {
        case .replace(let s): s.rawValue
        case .append: "append"
        case .upsert(let key): "upsert(\(key.joined(separator: ",")))"
        }
    }
}
