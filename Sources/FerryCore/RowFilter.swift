/// Which rows of the source a run reads.
public struct RowFilter: Sendable, Hashable {
    public enum Comparison: String, Sendable, Hashable {
        case greaterThan = ">"
        case greaterThanOrEqual = ">="
    }

    public var column: String
    public var comparison: Comparison
    public var value: ScalarValue

    public init(column: String, comparison: Comparison, value: ScalarValue) {
        self.column = column
        self.comparison = comparison
        self.value = value
    }
}
