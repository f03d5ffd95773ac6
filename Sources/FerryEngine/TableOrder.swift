/// The order a run starts its tables in: config order, except that a table waits for the tables it references
/// (foreign keys, among the run's tables) to finish, so an incremental child's new rows find their parents' new
/// rows in the target. Tables whose references form a cycle cannot wait for each other: among them, config order.
struct TableOrder {
    /// For each table (by config index), the tables it waits for.
    private(set) var waitsFor: [Set<Int>]
    /// The cycles found (config indices, in config order), whose tables wait for none of each other.
    private(set) var cycles: [[Int]] = []

    /// `references[i]`: the tables table `i` references; self-references are ignored.
    init(count: Int, references: [Int: Set<Int>]) {
        waitsFor = (0..<count).map { i in (references[i] ?? []).filter { $0 != i && $0 >= 0 && $0 < count } }
        for component in Self.stronglyConnected(waitsFor) where component.count > 1 {
            let members = Set(component)
            for i in component { waitsFor[i].subtract(members) }
            cycles.append(component.sorted())
        }
        cycles.sort { $0[0] < $1[0] }
    }

    /// The first table in config order not started yet whose references have all finished.
    func next(started: Set<Int>, finished: Set<Int>) -> Int? {
        waitsFor.indices.first { !started.contains($0) && waitsFor[$0].isSubset(of: finished) }
    }

    /// Tarjan's strongly connected components of the graph `edges` (node -> nodes it points at).
    private static func stronglyConnected(_ edges: [Set<Int>]) -> [[Int]] {
        var index = 0
        var indices = [Int?](repeating: nil, count: edges.count)
        var lowLink = [Int](repeating: 0, count: edges.count)
        var onStack = [Bool](repeating: false, count: edges.count)
        var stack: [Int] = []
        var components: [[Int]] = []
        func visit(_ v: Int) {
            indices[v] = index
            lowLink[v] = index
            index += 1
            stack.append(v)
            onStack[v] = true
            for w in edges[v].sorted() {
                if let wIndex = indices[w] {
                    if onStack[w] { lowLink[v] = min(lowLink[v], wIndex) }
                } else {
                    visit(w)
                    lowLink[v] = min(lowLink[v], lowLink[w])
                }
            }
            if lowLink[v] == indices[v] {
                var component: [Int] = []
                while let w = stack.popLast() {
                    onStack[w] = false
                    component.append(w)
                    if w == v { break }
                }
                components.append(component)
            }
        }
        for v in edges.indices where indices[v] == nil { visit(v) }
        return components
    }
}
