/// The entries a node emits for a slice of rows, in column order: each is a slot of the node's batch, or a void
/// entry (an ancestor is NULL or an empty list) that carries its definition level down to the leaves.
///
/// Three flat arrays rather than an array of entry structs, so a slice of a million list elements is three
/// allocations.
struct EntryList {
    /// The slot in the node's batch, or `-1` for a void entry.
    var slot: [Int] = []
    /// For void entries, the definition level they stop at (ignored for slots).
    var definition: [UInt8] = []
    var repetition: [UInt8] = []

    var count: Int { slot.count }

    init(capacity: Int) {
        slot.reserveCapacity(capacity)
        definition.reserveCapacity(capacity)
        repetition.reserveCapacity(capacity)
    }

    /// One slot per row of `rows`, each at repetition level 0 (the top level).
    init(rows: Range<Int>) {
        slot = Array(rows)
        definition = [UInt8](repeating: 0, count: rows.count)
        repetition = definition
    }

    mutating func append(slot: Int, definition: Int, repetition: UInt8) {
        self.slot.append(slot)
        self.definition.append(UInt8(definition))
        self.repetition.append(repetition)
    }
}

/// Shreds columnar nested batches (``ColumnValues/list(offsets:elements:)``, ``ColumnValues/structure(_:)``)
/// into leaf entries and their Dremel levels, a node at a time over whole arrays: no value per row is built.
///
/// A node's entries are first narrowed by its own validity (a NULL slot becomes a void entry at the level above
/// the node), then a group hands them to each field, and a list expands each present, non-empty row into its
/// elements (the first keeps the row's repetition level, the others take the list's). At a leaf every entry
/// becomes one value slot: the batch's value, or a placeholder where void.
enum ColumnarShredder {
    /// The leaf batches and levels of `batch` (of `node`, a top-level node), for rows `rows`, stored at
    /// `leaves[node.leaves]`. The batch must have passed ``ColumnarShredder/validate(_:node:context:)``.
    static func shred(
        _ batch: ColumnBatch, node: CompiledNode, rows: Range<Int>,
        into leaves: inout [(ColumnBatch, LeafLevels)?]
    ) {
        shred(batch, node: node, entries: EntryList(rows: rows), parentLevel: 0, into: &leaves)
    }

    private static func shred(
        _ batch: ColumnBatch, node: CompiledNode, entries: EntryList, parentLevel: Int,
        into leaves: inout [(ColumnBatch, LeafLevels)?]
    ) {
        var entries = entries
        if let validity = batch.validity {
            for e in 0..<entries.count {
                let slot = entries.slot[e]
                if slot >= 0 && !validity[slot] {
                    entries.slot[e] = -1
                    entries.definition[e] = UInt8(parentLevel)
                }
            }
        }
        let present = node.presentLevel
        switch (node.kind, batch.values) {
        case (.leaf(let index), let values):
            leaves[index] = gather(values, entries: entries, present: present)
        case (.group(let children), .structure(let fields)):
            for (child, field) in zip(children, fields) {
                shred(field, node: child, entries: entries, parentLevel: present, into: &leaves)
            }
        case (.list(let element), .list(let offsets, let elements)):
            var expanded = EntryList(capacity: entries.count + (offsets.last ?? 0) - (offsets.first ?? 0))
            let further = UInt8(node.repeatedLevel)
            for e in 0..<entries.count {
                let slot = entries.slot[e]
                let repetition = entries.repetition[e]
                guard slot >= 0 else {
                    expanded.append(slot: -1, definition: Int(entries.definition[e]), repetition: repetition)
                    continue
                }
                let start = offsets[slot]
                let end = offsets[slot + 1]
                guard start < end else {
                    // Present but empty: one void entry at the list's own level.
                    expanded.append(slot: -1, definition: present, repetition: repetition)
                    continue
                }
                expanded.append(slot: start, definition: 0, repetition: repetition)
                for item in (start + 1)..<end { expanded.append(slot: item, definition: 0, repetition: further) }
            }
            shred(elements, node: element, entries: expanded, parentLevel: present + 1, into: &leaves)
        default:
            // validate() has matched every node with its values.
            break
        }
    }

    /// The leaf's value slots, one per entry, with its levels.
    private static func gather(
        _ values: ColumnValues, entries: EntryList, present: Int
    ) -> (ColumnBatch, LeafLevels) {
        var definition = entries.definition
        var validity = [Bool](repeating: true, count: entries.count)
        var anyNull = false
        for e in 0..<entries.count {
            if entries.slot[e] < 0 {
                validity[e] = false
                anyNull = true
            } else {
                definition[e] = UInt8(present)
            }
        }
        let gathered = values.gathering(entries.slot)
        return (
            ColumnBatch(values: gathered, validity: anyNull ? validity : nil),
            LeafLevels(definition: definition, repetition: entries.repetition)
        )
    }

    /// Checks a nested batch against its node before anything of it is encoded: matching kinds and physical
    /// types, list offsets that rise within their elements, fields of a group as long as the group, and no NULL
    /// slot in a non-nullable node (even under a NULL parent: mark placeholders valid there).
    static func validate(
        _ batch: ColumnBatch, node: CompiledNode, leaves: [LeafColumn], context: String
    ) throws(ParquetError) {
        let rows = batch.count
        func fail(_ why: String) -> ParquetError {
            ParquetError(.invalidBatch, "\(context) '\(node.name)': \(why)")
        }
        if let validity = batch.validity {
            guard validity.count == rows else { throw fail("validity has \(validity.count) entries for \(rows) rows") }
            if !node.nullable && validity.contains(false) { throw fail("NULL in a non-nullable column") }
        }
        switch (node.kind, batch.values) {
        case (.leaf(let index), let values):
            try checkLeaf(values, type: leaves[index].field.physicalType, rows: rows, fail: fail)
        case (.group(let children), .structure(let fields)):
            guard fields.count == children.count else {
                throw fail("\(fields.count) fields for a group of \(children.count)")
            }
            for (child, field) in zip(children, fields) {
                guard field.count == rows else {
                    throw fail("field '\(child.name)' has \(field.count) rows of \(rows)")
                }
                try validate(field, node: child, leaves: leaves, context: "\(context) '\(node.name)'")
            }
        case (.list(let element), .list(let offsets, let elements)):
            guard offsets.count == rows + 1, (offsets.first ?? 0) >= 0, (offsets.last ?? 0) <= elements.count else {
                throw fail("list offsets don't fit the \(elements.count) elements")
            }
            for position in 1..<offsets.count where offsets[position] < offsets[position - 1] {
                throw fail("list offsets decrease at row \(position - 1)")
            }
            try validate(elements, node: element, leaves: leaves, context: "\(context) '\(node.name)'")
        case (.map, _):
            throw fail("maps are written with write(rows:)")
        default:
            throw fail("values of the wrong kind for the schema node")
        }
    }

    /// Checks the values of a primitive column: their physical type, and offsets or widths that fit the data.
    static func checkLeaf(
        _ values: ColumnValues, type: PhysicalType, rows: Int, fail: (String) -> ParquetError
    ) throws(ParquetError) {
        switch (values, type) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.float, .float), (.double, .double):
            break
        case (.byteArray(let offsets, let data), .byteArray):
            guard offsets.count == rows + 1, offsets.first ?? 0 >= 0, offsets.last ?? 0 <= data.count else {
                throw fail("byte array offsets don't fit the data")
            }
            for position in 1..<offsets.count where offsets[position] < offsets[position - 1] {
                throw fail("byte array offsets decrease at row \(position - 1)")
            }
        case (.fixedLen(let width, let data), .fixedLenByteArray(let expected)):
            guard width == expected else { throw fail("values are \(width) bytes wide, the column \(expected)") }
            guard data.count == rows * width else { throw fail("fixed-length data is not rows × width bytes") }
        case (.list, _), (.structure, _):
            throw fail("a nested value in a primitive column")
        default:
            throw fail("values of the wrong type for \(type)")
        }
    }
}
