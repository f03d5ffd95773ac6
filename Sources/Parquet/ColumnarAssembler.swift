/// Rebuilds columnar nested batches from leaf entries and their levels (the inverse of ``ColumnarShredder``), a
/// node at a time over whole arrays.
///
/// The values of a node at repetition depth `d` (the lists above it) whose slot exists from definition level `D`
/// on are the entries of any of its leaves with repetition level ≤ `d` and definition level ≥ `D`: a lower
/// definition level is an ancestor's NULL or empty list, a higher repetition level lies inside one of the node's
/// own lists. So each node scans its first leaf's levels once: a group takes its validity from them and hands
/// the same `d` and `D` to each field (a NULL group row is a NULL slot in each field); a list counts the entries
/// that start an element (repetition ≤ `d + 1`, definition above its own level) into offsets, and its element is
/// assembled at `d + 1`.
struct ColumnarAssembler {
    /// Loaded leaves, indexed by leaf column; the leaves of the nodes assembled must be present.
    let leaves: [AssemblyLeaf?]
    let context: String

    private func corrupt(_ what: String) -> ParquetError {
        ParquetError(.corrupt, "\(context): \(what)")
    }

    /// The batch of a top-level node: one slot per row.
    func batch(of node: CompiledNode) throws(ParquetError) -> ColumnBatch {
        try assemble(node, depth: 0, slotLevel: 0)
    }

    private func leaf(_ index: Int) throws(ParquetError) -> AssemblyLeaf {
        guard index < leaves.count, let leaf = leaves[index] else { throw corrupt("leaf \(index) was not read") }
        return leaf
    }

    private func assemble(_ node: CompiledNode, depth: Int, slotLevel: Int) throws(ParquetError) -> ColumnBatch {
        let first = try leaf(node.leaves.lowerBound)
        let definition = first.levels.definition
        let repetition = first.levels.repetition
        guard definition.count == first.count, repetition.count == first.count else {
            throw corrupt("column '\(node.name)' has levels that don't match its values")
        }
        let present = UInt8(node.presentLevel)
        let top = UInt8(slotLevel)
        let outer = UInt8(depth)
        switch node.kind {
        case .leaf:
            var slots: [Int] = []
            slots.reserveCapacity(first.count)
            for e in 0..<first.count where repetition[e] <= outer && definition[e] >= top { slots.append(e) }
            let validity = node.nullable ? slots.map { definition[$0] >= present } : nil
            let values = slots.count == first.count ? first.batch.values : first.batch.values.gathering(slots)
            return ColumnBatch(values: values, validity: validity?.contains(false) == true ? validity : nil)
        case .group(let children):
            var validity: [Bool] = []
            for e in 0..<first.count where repetition[e] <= outer && definition[e] >= top {
                validity.append(definition[e] >= present)
            }
            var fields: [ColumnBatch] = []
            for child in children {
                let field = try assemble(child, depth: depth, slotLevel: slotLevel)
                guard field.count == validity.count else {
                    throw corrupt(
                        "field '\(child.name)' of '\(node.name)' has \(field.count) values, not \(validity.count)")
                }
                fields.append(field)
            }
            let nulls = node.nullable && validity.contains(false)
            return ColumnBatch(values: .structure(fields), validity: nulls ? validity : nil)
        case .list(let element):
            var offsets: [Int] = []
            var validity: [Bool] = []
            offsets.reserveCapacity(first.count + 1)
            let further = UInt8(node.repeatedLevel)
            var elements = 0
            var inSlot = false
            for e in 0..<first.count {
                let level = repetition[e]
                if level <= outer {
                    inSlot = definition[e] >= top
                    guard inSlot else { continue }
                    offsets.append(elements)
                    validity.append(definition[e] >= present)
                    if definition[e] > present { elements += 1 }
                } else if inSlot && level == further {
                    elements += 1
                }
            }
            offsets.append(elements)
            let items = try assemble(element, depth: node.repeatedLevel, slotLevel: node.presentLevel + 1)
            guard items.count == elements else {
                throw corrupt("list '\(node.name)' has \(items.count) elements where its levels say \(elements)")
            }
            let nulls = node.nullable && validity.contains(false)
            return ColumnBatch(values: .list(offsets: offsets, elements: items), validity: nulls ? validity : nil)
        case .map:
            throw ParquetError(.unsupported, "\(context): map '\(node.name)' is read with readRows(rowGroup:columns:)")
        }
    }
}
