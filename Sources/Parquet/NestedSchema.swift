/// A leaf column of a schema, with the Dremel levels it is written with.
struct LeafColumn {
    /// Names from the top-level node down to the leaf (`path_in_schema`).
    var path: [String]
    var field: ParquetField
    /// The definition level at which the leaf holds a value.
    var maxDefinitionLevel: Int
    /// How many repeated groups (lists, maps) lie above the leaf.
    var maxRepetitionLevel: Int
}

/// A schema node with its levels worked out, for shredding rows into leaves and assembling them back.
final class CompiledNode {
    enum Kind {
        case leaf(Int)
        case group([CompiledNode])
        case list(CompiledNode)
        case map(key: CompiledNode, value: CompiledNode)
    }

    let name: String
    let kind: Kind
    let nullable: Bool
    /// The definition level reached when this node is present (not NULL).
    let presentLevel: Int
    /// For lists and maps: the repetition level that marks a further element of this node.
    let repeatedLevel: Int
    /// The leaves under this node, in column order.
    let leaves: Range<Int>

    init(name: String, kind: Kind, nullable: Bool, presentLevel: Int, repeatedLevel: Int, leaves: Range<Int>) {
        self.name = name
        self.kind = kind
        self.nullable = nullable
        self.presentLevel = presentLevel
        self.repeatedLevel = repeatedLevel
        self.leaves = leaves
    }
}

/// A nested schema compiled into leaves, levels and footer elements.
struct CompiledSchema {
    private(set) var nodes: [CompiledNode] = []
    private(set) var leaves: [LeafColumn] = []
    /// The depth-first footer schema, root first.
    private(set) var elements: [SchemaElement] = []

    /// Whether leaf types are checked (writing) or taken as the file has them (reading).
    private let validating: Bool

    /// - Throws: `invalidSchema` for empty or repeated names, nullable map keys, or bad leaf types.
    init(_ nodes: [SchemaNode], validating: Bool = true) throws(ParquetError) {
        self.validating = validating
        var root = SchemaElement(name: "schema")
        root.numChildren = Int32(nodes.count)
        elements = [root]
        if validating { try Self.checkNames(nodes, in: "the schema") }
        for node in nodes { self.nodes.append(try compile(node, path: [], definition: 0, repetition: 0)) }
    }

    private static func checkNames(_ nodes: [SchemaNode], in parent: String) throws(ParquetError) {
        var seen = Set<String>()
        for node in nodes {
            guard !node.name.isEmpty else { throw ParquetError(.invalidSchema, "a node in \(parent) has no name") }
            guard seen.insert(node.name).inserted else {
                throw ParquetError(.invalidSchema, "name '\(node.name)' appears twice in \(parent)")
            }
        }
    }

    private mutating func compile(
        _ node: SchemaNode, path: [String], definition: Int, repetition: Int
    ) throws(ParquetError) -> CompiledNode {
        let path = path + [node.name]
        let present = definition + (node.nullable ? 1 : 0)
        let firstLeaf = leaves.count
        var group = SchemaElement(name: node.name)
        group.repetitionType = node.nullable ? SchemaConversion.optional : SchemaConversion.required
        switch node {
        case .primitive(let field):
            if validating { try SchemaConversion.validate(field) }
            elements.append(SchemaConversion.element(for: field))
            leaves.append(
                LeafColumn(path: path, field: field, maxDefinitionLevel: present, maxRepetitionLevel: repetition))
            return CompiledNode(
                name: node.name, kind: .leaf(firstLeaf), nullable: node.nullable, presentLevel: present,
                repeatedLevel: 0, leaves: firstLeaf..<leaves.count)
        case .group(_, _, let children):
            guard !children.isEmpty else {
                throw ParquetError(.invalidSchema, "group '\(path.joined(separator: "."))' has no fields")
            }
            if validating { try Self.checkNames(children, in: "group '\(path.joined(separator: "."))'") }
            group.numChildren = Int32(children.count)
            elements.append(group)
            var compiled: [CompiledNode] = []
            for child in children {
                compiled.append(try compile(child, path: path, definition: present, repetition: repetition))
            }
            return CompiledNode(
                name: node.name, kind: .group(compiled), nullable: node.nullable, presentLevel: present,
                repeatedLevel: 0, leaves: firstLeaf..<leaves.count)
        case .list(_, _, let element):
            group.numChildren = 1
            group.convertedType = ConvertedType.list
            group.logicalType = LogicalTypeAnnotation(groupVariant: LogicalTypeAnnotation.listVariant)
            elements.append(group)
            elements.append(Self.repeatedGroup("list", children: 1))
            let item = try compile(
                element.renamed("element"), path: path + ["list"], definition: present + 1,
                repetition: repetition + 1)
            return CompiledNode(
                name: node.name, kind: .list(item), nullable: node.nullable, presentLevel: present,
                repeatedLevel: repetition + 1, leaves: firstLeaf..<leaves.count)
        case .map(_, _, let key, let value):
            guard !key.nullable || !validating else {
                throw ParquetError(.invalidSchema, "map '\(path.joined(separator: "."))' has a nullable key")
            }
            group.numChildren = 1
            group.convertedType = ConvertedType.map
            group.logicalType = LogicalTypeAnnotation(groupVariant: LogicalTypeAnnotation.mapVariant)
            elements.append(group)
            elements.append(Self.repeatedGroup("key_value", children: 2))
            let keyNode = try compile(
                key.renamed("key"), path: path + ["key_value"], definition: present + 1, repetition: repetition + 1)
            let valueNode = try compile(
                value.renamed("value"), path: path + ["key_value"], definition: present + 1,
                repetition: repetition + 1)
            return CompiledNode(
                name: node.name, kind: .map(key: keyNode, value: valueNode), nullable: node.nullable,
                presentLevel: present, repeatedLevel: repetition + 1, leaves: firstLeaf..<leaves.count)
        }
    }

    private static func repeatedGroup(_ name: String, children: Int32) -> SchemaElement {
        var element = SchemaElement(name: name)
        element.repetitionType = SchemaConversion.repeated
        element.numChildren = children
        return element
    }

    // MARK: - Reading

    /// The schema nodes of a footer's depth-first element list.
    /// - Throws: `unsupported` for legacy layouts (repeated fields outside the three-level LIST/MAP form).
    static func nodes(from elements: [SchemaElement], path: String) throws(ParquetError) -> [SchemaNode] {
        guard let root = elements.first else { throw ParquetError(.corrupt, "\(path): the schema is empty") }
        var position = 1
        var nodes: [SchemaNode] = []
        for _ in 0..<Int(max(root.numChildren ?? 0, 0)) {
            nodes.append(try node(elements, &position, path: path, depth: 0))
        }
        guard position == elements.count else {
            throw ParquetError(.corrupt, "\(path): the schema's num_children don't add up")
        }
        return nodes
    }

    private static func node(
        _ elements: [SchemaElement], _ position: inout Int, path: String, depth: Int
    ) throws(ParquetError) -> SchemaNode {
        guard position < elements.count, depth < 64 else {
            throw ParquetError(.corrupt, "\(path): the schema's num_children don't add up")
        }
        let element = elements[position]
        position += 1
        let nullable = element.repetitionType == SchemaConversion.optional
        func legacy(_ what: String) -> ParquetError {
            ParquetError(.unsupported, "\(path): column '\(element.name)' uses a legacy \(what) layout")
        }
        guard element.repetitionType != SchemaConversion.repeated else { throw legacy("repeated-field") }
        guard let children = element.numChildren else {
            return .primitive(try SchemaConversion.field(from: element, path: path))
        }
        let variant = element.logicalType?.variant
        let isList = element.convertedType == ConvertedType.list || variant == LogicalTypeAnnotation.listVariant
        let isMap =
            element.convertedType == ConvertedType.map || element.convertedType == ConvertedType.mapKeyValue
            || variant == LogicalTypeAnnotation.mapVariant
        if isList || isMap {
            guard children == 1, position < elements.count else { throw legacy(isList ? "list" : "map") }
            let repeated = elements[position]
            let expected: Int32 = isList ? 1 : 2
            guard repeated.repetitionType == SchemaConversion.repeated, repeated.numChildren == expected else {
                throw legacy(isList ? "list" : "map")
            }
            position += 1
            if isList {
                let item = try node(elements, &position, path: path, depth: depth + 1)
                return .list(name: element.name, nullable: nullable, element: item)
            }
            let key = try node(elements, &position, path: path, depth: depth + 1)
            let value = try node(elements, &position, path: path, depth: depth + 1)
            return .map(name: element.name, nullable: nullable, key: key, value: value)
        }
        var nodes: [SchemaNode] = []
        for _ in 0..<Int(max(children, 0)) {
            nodes.append(try node(elements, &position, path: path, depth: depth + 1))
        }
        return .group(name: element.name, nullable: nullable, children: nodes)
    }
}

extension SchemaNode {
    /// The same node under another name.
    func renamed(_ name: String) -> SchemaNode {
        switch self {
        case .primitive(var field):
            field.name = name
            return .primitive(field)
        case .group(_, let nullable, let children): return .group(name: name, nullable: nullable, children: children)
        case .list(_, let nullable, let element): return .list(name: name, nullable: nullable, element: element)
        case .map(_, let nullable, let key, let value):
            return .map(name: name, nullable: nullable, key: key, value: value)
        }
    }
}
