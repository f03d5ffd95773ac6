/// Lists and structures: appending whole nested values, reading them back, and sizes.
///
/// Decoders append a nested value in place: `appendList` hands the child vector of elements to a closure that
/// appends this row's elements straight into it, then closes the row; nothing is built per value.
extension ColumnVector {
    /// Appends one non-NULL list row: `fill` appends the row's elements (NULL elements with `appendNull`) to the
    /// child vector, then the row is closed. When `fill` throws, the elements it appended are removed and the
    /// vector is as before.
    public mutating func appendList<E: Error>(_ fill: (inout ColumnVector) throws(E) -> Void) throws(E) {
        guard case .list(var offsets, var elements) = values else {
            preconditionFailure("appendList on \(values.kind) column")
        }
        values = .boolean([])
        let before = elements.count
        do {
            try fill(&elements)
        } catch {
            elements.truncate(to: before)
            values = .list(offsets: offsets, elements: elements)
            throw error
        }
        offsets.append(elements.count)
        values = .list(offsets: offsets, elements: elements)
        validity.append(true)
    }

    /// Appends one non-NULL structure row: `fill` appends exactly one slot (a value or NULL) to each field's
    /// vector, in field order. When `fill` throws, the slots it appended are removed and the vector is as before.
    public mutating func appendStructure<E: Error>(_ fill: (inout [ColumnVector]) throws(E) -> Void) throws(E) {
        guard case .structure(var children) = values else {
            preconditionFailure("appendStructure on \(values.kind) column")
        }
        values = .boolean([])
        let before = count
        do {
            try fill(&children)
        } catch {
            for i in children.indices { children[i].truncate(to: before) }
            values = .structure(children)
            throw error
        }
        precondition(children.allSatisfy { $0.count == before + 1 }, "appendStructure must fill every field once")
        values = .structure(children)
        validity.append(true)
    }

    /// The range of row `i`'s elements in `listElements` (empty for a NULL row).
    public func listRange(at i: Int) -> Range<Int> {
        guard case .list(let offsets, _) = values else {
            preconditionFailure("listRange(at:) on \(values.kind) column")
        }
        return offsets[i]..<offsets[i + 1]
    }

    /// Every row's elements, one after the other (`listRange(at:)` says which are row `i`'s).
    public var listElements: ColumnVector {
        guard case .list(_, let elements) = values else { preconditionFailure("listElements on \(values.kind) column") }
        return elements
    }

    /// One vector per field, each with one slot per row.
    public var structureFields: [ColumnVector] {
        guard case .structure(let children) = values else {
            preconditionFailure("structureFields on \(values.kind) column")
        }
        return children
    }

    /// Approximate size of the vector's buffers (children included), for progress and memory accounting.
    public var byteCount: Int {
        switch values {
        case .boolean(let a): return a.count
        case .int64(let a): return a.count * 8
        case .float64(let a): return a.count * 8
        case .decimal(let a): return a.count * 16
        case .bytes(let b): return b.data.count + b.offsets.count * 8
        case .list(let offsets, let elements): return offsets.count * 8 + elements.byteCount
        case .structure(let children): return children.reduce(0) { $0 + $1.byteCount }
        }
    }

    /// Drops the slots from `rows` on (an append that failed half way).
    mutating func truncate(to rows: Int) {
        guard rows < count else { return }
        validity.removeLast(count - rows)
        switch values {
        case .boolean(var a):
            values = .int64([])
            a.removeLast(a.count - rows)
            values = .boolean(a)
        case .int64(var a):
            values = .boolean([])
            a.removeLast(a.count - rows)
            values = .int64(a)
        case .float64(var a):
            values = .boolean([])
            a.removeLast(a.count - rows)
            values = .float64(a)
        case .decimal(var a):
            values = .boolean([])
            a.removeLast(a.count - rows)
            values = .decimal(a)
        case .bytes(var b):
            values = .boolean([])
            b.truncate(to: rows)
            values = .bytes(b)
        case .list(var offsets, var elements):
            values = .boolean([])
            offsets.removeLast(offsets.count - 1 - rows)
            elements.truncate(to: offsets[rows])
            values = .list(offsets: offsets, elements: elements)
        case .structure(var children):
            values = .boolean([])
            for i in children.indices { children[i].truncate(to: rows) }
            values = .structure(children)
        }
    }
}
