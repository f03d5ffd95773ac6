public import FerryCore

/// What the change-set tests of every target share: a table shape and a value PostgreSQL would TOAST.
public enum ChangeFixtures {
    /// `id` key, two text columns (`big` carries the TOASTed value) and a decimal.
    public static let schema = TableSchema(
        columns: [
            Column(name: "id", type: .int64, nullable: false), Column(name: "name", type: .text),
            Column(name: "big", type: .text), Column(name: "amount", type: .decimal(precision: 10, scale: 2)),
        ], primaryKey: ["id"])

    /// 3 kB that do not compress: PostgreSQL stores them out of line (TOAST) and sends them as "unchanged" when an
    /// update leaves them alone.
    public static let toasted: String = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return String(
            (0..<3000).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Character(UnicodeScalar(UInt8(97 + (state >> 33) % 26)))
            })
    }()
}
