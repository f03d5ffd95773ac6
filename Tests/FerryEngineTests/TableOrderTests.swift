import Testing

@testable import FerryEngine

/// The order a run starts its tables in, decided without a database: parents before the children that reference
/// them, config order otherwise and within a cycle.
@Suite struct TableOrderTests {
    /// The start order when tables run one at a time, each finishing before the next starts.
    func sequence(_ order: TableOrder, count: Int) -> [Int] {
        var started: Set<Int> = []
        var out: [Int] = []
        while let next = order.next(started: started, finished: started) {
            started.insert(next)
            out.append(next)
        }
        #expect(out.count == count, "every table starts")
        return out
    }

    @Test func withoutReferencesTablesStartInConfigOrder() {
        #expect(sequence(TableOrder(count: 4, references: [:]), count: 4) == [0, 1, 2, 3])
    }

    @Test func aChildListedFirstStartsAfterItsParentsChain() {
        // 0 references 1, 1 references 2 (order_lines -> orders -> customers), 3 is unrelated.
        let order = TableOrder(count: 4, references: [0: [1], 1: [2]])
        #expect(sequence(order, count: 4) == [2, 1, 0, 3])
        #expect(order.cycles.isEmpty)
    }

    @Test func aChildWaitsWhileItsParentIsRunningButOthersMayStart() {
        let order = TableOrder(count: 3, references: [0: [1]])
        #expect(order.next(started: [], finished: []) == 1)
        // 1 started, not finished: 0 must wait, 2 may start.
        #expect(order.next(started: [1], finished: []) == 2)
        #expect(order.next(started: [1, 2], finished: [2]) == nil)
        #expect(order.next(started: [1, 2], finished: [1, 2]) == 0)
    }

    @Test func tablesInACycleStartInConfigOrderAndTheCycleIsReported() {
        // 1 <-> 2 reference each other; 0 references 2; self-references and unknown indices are ignored.
        let order = TableOrder(count: 4, references: [1: [2, 1], 2: [1, 9], 0: [2]])
        #expect(order.cycles == [[1, 2]])
        #expect(sequence(order, count: 4) == [1, 2, 0, 3])
    }
}
