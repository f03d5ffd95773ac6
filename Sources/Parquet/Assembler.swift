/// One leaf's decoded entries and a cursor over them, for assembling rows.
struct AssemblyLeaf {
    let field: ParquetField
    let batch: ColumnBatch
    let levels: LeafLevels
    var position = 0

    var count: Int { levels.definition.count }

    /// The value of the current entry, which the caller has checked is present.
    func value() -> ParquetValue {
        let slot = position
        switch batch.values {
        case .boolean(let values): return .boolean(values[slot])
        case .int32(let values): return .int32(values[slot])
        case .int64(let values): return .int64(values[slot])
        case .float(let values): return .float(values[slot])
        case .double(let values): return .double(values[slot])
        case .byteArray(let offsets, let data):
            let bytes = Array(data[offsets[slot]..<offsets[slot + 1]])
            switch field.logicalType {
            case .string, .json, .enumeration: return .string(String(decoding: bytes, as: UTF8.self))
            default: return .bytes(bytes)
            }
        case .fixedLen(let width, let data): return .bytes(Array(data[(slot * width)..<((slot + 1) * width)]))
        case .list, .structure: return .null  // Leaves hold primitive values only.
        }
    }
}

/// Rebuilds nested values from leaf entries (the inverse of ``Shredder``).
///
/// Each node looks at the next entry of its first leaf: a definition level below the node's own means the node
/// is NULL (every leaf under it then holds exactly one entry for it); for lists and maps, a level equal to the
/// node's means present but empty, and further elements follow while the repetition level equals the list's.
struct Assembler {
    var leaves: [AssemblyLeaf?]
    let context: String

    private func corrupt(_ what: String) -> ParquetError {
        ParquetError(.corrupt, "\(context): \(what)")
    }

    mutating func value(of node: CompiledNode) throws(ParquetError) -> ParquetValue {
        let first = node.leaves.lowerBound
        guard let leaf = leaves[first], leaf.position < leaf.count else {
            throw corrupt("column '\(node.name)' ends before the row group's last row")
        }
        let definition = Int(leaf.levels.definition[leaf.position])
        if definition < node.presentLevel {
            guard node.nullable else { throw corrupt("NULL in non-nullable '\(node.name)'") }
            try skip(node.leaves)
            return .null
        }
        switch node.kind {
        case .leaf(let index):
            let result = leaf.value()
            leaves[index]?.position += 1
            return result
        case .group(let children):
            var values: [ParquetValue] = []
            values.reserveCapacity(children.count)
            for child in children { values.append(try value(of: child)) }
            return .group(values)
        case .list(let element):
            if definition == node.presentLevel {
                try skip(node.leaves)
                return .list([])
            }
            var items: [ParquetValue] = []
            repeat { items.append(try value(of: element)) } while continues(first, level: node.repeatedLevel)
            return .list(items)
        case .map(let key, let valueNode):
            if definition == node.presentLevel {
                try skip(node.leaves)
                return .map([])
            }
            var entries: [MapEntry] = []
            repeat {
                let entryKey = try value(of: key)
                entries.append(MapEntry(key: entryKey, value: try value(of: valueNode)))
            } while continues(first, level: node.repeatedLevel)
            return .map(entries)
        }
    }

    /// Whether the next entry of `leaf` is a further element of the list or map at repetition level `level`.
    private func continues(_ leaf: Int, level: Int) -> Bool {
        guard let leaf = leaves[leaf], leaf.position < leaf.count else { return false }
        return Int(leaf.levels.repetition[leaf.position]) == level
    }

    /// Consumes one entry of every leaf in `range` (a NULL or empty node).
    private mutating func skip(_ range: Range<Int>) throws(ParquetError) {
        for index in range {
            guard let leaf = leaves[index], leaf.position < leaf.count else {
                throw corrupt("leaf columns disagree on their entries")
            }
            leaves[index]?.position += 1
        }
    }

    /// Checks that every loaded leaf was consumed exactly.
    func checkConsumed() throws(ParquetError) {
        for leaf in leaves {
            guard let leaf else { continue }
            guard leaf.position == leaf.count else { throw corrupt("leaf columns hold entries beyond the last row") }
        }
    }
}
