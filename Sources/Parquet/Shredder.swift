/// Collects one leaf column's entries while nested rows are shredded: values (with placeholders where NULL),
/// validity and Dremel levels.
struct LeafBuilder {
    let leaf: LeafColumn
    private(set) var levels = LeafLevels()
    private var validity: [Bool] = []
    private var anyNull = false
    private var booleans: [Bool] = []
    private var int32s: [Int32] = []
    private var int64s: [Int64] = []
    private var floats: [Float] = []
    private var doubles: [Double] = []
    private var offsets: [Int] = [0]
    private var bytes: [UInt8] = []

    init(leaf: LeafColumn) {
        self.leaf = leaf
    }

    var count: Int { validity.count }

    /// An entry without a value: the leaf or one of its ancestors is NULL (or an empty list or map).
    mutating func appendNull(definition: Int, repetition: Int) {
        levels.definition.append(UInt8(definition))
        levels.repetition.append(UInt8(repetition))
        validity.append(false)
        anyNull = true
        switch leaf.field.physicalType {
        case .boolean: booleans.append(false)
        case .int32: int32s.append(0)
        case .int64: int64s.append(0)
        case .float: floats.append(0)
        case .double: doubles.append(0)
        case .byteArray: offsets.append(bytes.count)
        case .fixedLenByteArray(let width): bytes.append(contentsOf: repeatElement(0, count: width))
        }
    }

    /// An entry with a value, checked against the leaf's physical type.
    mutating func append(_ value: ParquetValue, definition: Int, repetition: Int) throws(ParquetError) {
        switch (leaf.field.physicalType, value) {
        case (.boolean, .boolean(let value)): booleans.append(value)
        case (.int32, .int32(let value)): int32s.append(value)
        case (.int64, .int64(let value)): int64s.append(value)
        case (.float, .float(let value)): floats.append(value)
        case (.double, .double(let value)): doubles.append(value)
        case (.byteArray, .bytes(let value)):
            bytes.append(contentsOf: value)
            offsets.append(bytes.count)
        case (.byteArray, .string(let value)):
            bytes.append(contentsOf: value.utf8)
            offsets.append(bytes.count)
        case (.fixedLenByteArray(let width), .bytes(let value)) where value.count == width:
            bytes.append(contentsOf: value)
        default:
            throw ParquetError(
                .invalidBatch,
                "column '\(leaf.path.joined(separator: "."))' of type \(leaf.field.physicalType) can't hold \(value)")
        }
        levels.definition.append(UInt8(definition))
        levels.repetition.append(UInt8(repetition))
        validity.append(true)
    }

    /// The entries collected so far as a batch plus levels; the builder is empty afterwards.
    mutating func take() -> (ColumnBatch, LeafLevels) {
        let values: ColumnValues
        switch leaf.field.physicalType {
        case .boolean: values = .boolean(booleans)
        case .int32: values = .int32(int32s)
        case .int64: values = .int64(int64s)
        case .float: values = .float(floats)
        case .double: values = .double(doubles)
        case .byteArray: values = .byteArray(offsets: offsets, data: bytes)
        case .fixedLenByteArray(let width): values = .fixedLen(width: width, data: bytes)
        }
        let result = (ColumnBatch(values: values, validity: anyNull ? validity : nil), levels)
        self = LeafBuilder(leaf: leaf)
        return result
    }
}

/// Shreds nested values into leaf entries with definition and repetition levels (the Dremel encoding).
enum Shredder {
    /// Shreds `value` of `node`, whose parent reached definition level `definition`; the first entry it emits
    /// gets repetition level `repetition`.
    static func shred(
        _ value: ParquetValue, node: CompiledNode, definition: Int, repetition: Int, into leaves: inout [LeafBuilder]
    ) throws(ParquetError) {
        if case .null = value {
            guard node.nullable else { throw ParquetError(.invalidBatch, "NULL in non-nullable '\(node.name)'") }
            for leaf in node.leaves { leaves[leaf].appendNull(definition: definition, repetition: repetition) }
            return
        }
        let present = node.presentLevel
        switch node.kind {
        case .leaf(let index):
            try leaves[index].append(value, definition: present, repetition: repetition)
        case .group(let children):
            guard case .group(let values) = value, values.count == children.count else {
                throw ParquetError(.invalidBatch, "'\(node.name)' needs a group of \(children.count) values")
            }
            for (child, childValue) in zip(children, values) {
                try shred(childValue, node: child, definition: present, repetition: repetition, into: &leaves)
            }
        case .list(let element):
            guard case .list(let items) = value else {
                throw ParquetError(.invalidBatch, "'\(node.name)' needs a list value")
            }
            guard !items.isEmpty else {
                // Present but empty: one entry per leaf at the list's own level.
                for leaf in node.leaves { leaves[leaf].appendNull(definition: present, repetition: repetition) }
                return
            }
            for (index, item) in items.enumerated() {
                let level = index == 0 ? repetition : node.repeatedLevel
                try shred(item, node: element, definition: present + 1, repetition: level, into: &leaves)
            }
        case .map(let key, let valueNode):
            guard case .map(let entries) = value else {
                throw ParquetError(.invalidBatch, "'\(node.name)' needs a map value")
            }
            guard !entries.isEmpty else {
                for leaf in node.leaves { leaves[leaf].appendNull(definition: present, repetition: repetition) }
                return
            }
            for (index, entry) in entries.enumerated() {
                let level = index == 0 ? repetition : node.repeatedLevel
                try shred(entry.key, node: key, definition: present + 1, repetition: level, into: &leaves)
                try shred(entry.value, node: valueNode, definition: present + 1, repetition: level, into: &leaves)
            }
        }
    }
}
