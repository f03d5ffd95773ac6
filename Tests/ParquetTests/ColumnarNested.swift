import FerryTestKit
import Foundation

@testable import Parquet

/// Converts between nested rows (``ParquetValue``) and columnar nested batches, so the columnar writer and
/// reader can be checked against the row-at-a-time ones (and pyarrow) on the same data.
enum ColumnarNested {
    /// A value of `node` to stand in a slot under a NULL parent of a non-nullable node.
    static func placeholder(_ node: SchemaNode) -> ParquetValue {
        switch node {
        case .primitive(let field):
            switch field.physicalType {
            case .boolean: return .boolean(false)
            case .int32: return .int32(0)
            case .int64: return .int64(0)
            case .float: return .float(0)
            case .double: return .double(0)
            case .byteArray: return .bytes([])
            case .fixedLenByteArray(let width): return .bytes([UInt8](repeating: 0, count: width))
            }
        case .group(_, _, let children): return .group(children.map(placeholder))
        case .list: return .list([])
        case .map: return .map([])
        }
    }

    /// The columnar batch of `values` (one per row) of `node`.
    static func batch(_ values: [ParquetValue], node: SchemaNode) -> ColumnBatch {
        let validity = values.map { $0 != .null }
        let nulls = validity.contains(false) ? validity : nil
        switch node {
        case .primitive(let field):
            let present = values.map { $0 == .null ? placeholder(node) : $0 }
            let columnValues: ColumnValues
            switch field.physicalType {
            case .boolean: columnValues = .boolean(present.map { if case .boolean(let v) = $0 { v } else { false } })
            case .int32: columnValues = .int32(present.map { if case .int32(let v) = $0 { v } else { 0 } })
            case .int64: columnValues = .int64(present.map { if case .int64(let v) = $0 { v } else { 0 } })
            case .float: columnValues = .float(present.map { if case .float(let v) = $0 { v } else { 0 } })
            case .double: columnValues = .double(present.map { if case .double(let v) = $0 { v } else { 0 } })
            case .byteArray:
                columnValues = byteArrayValues(
                    present.map {
                        switch $0 {
                        case .bytes(let b): b
                        case .string(let s): Array(s.utf8)
                        default: []
                        }
                    })
            case .fixedLenByteArray(let width):
                columnValues = .fixedLen(
                    width: width,
                    data: present.flatMap { value -> [UInt8] in
                        if case .bytes(let b) = value { return b }
                        return []
                    })
            }
            return ColumnBatch(values: columnValues, validity: nulls)
        case .group(_, _, let children):
            let fields = children.enumerated().map { index, child in
                batch(
                    values.map { value -> ParquetValue in
                        guard case .group(let fields) = value else {
                            return child.nullable ? .null : placeholder(child)
                        }
                        return fields[index]
                    }, node: child)
            }
            return ColumnBatch(values: .structure(fields), validity: nulls)
        case .list(_, _, let element):
            var offsets = [0]
            var items: [ParquetValue] = []
            for value in values {
                if case .list(let elements) = value { items.append(contentsOf: elements) }
                offsets.append(items.count)
            }
            return ColumnBatch(values: .list(offsets: offsets, elements: batch(items, node: element)), validity: nulls)
        case .map:
            return ColumnBatch(values: .int32([]))
        }
    }

    /// The rows of a columnar batch of `node`.
    static func values(_ batch: ColumnBatch, node: SchemaNode) -> [ParquetValue] {
        let rows = batch.count
        func nullOr(_ row: Int, _ value: () -> ParquetValue) -> ParquetValue {
            batch.isNull(row) ? .null : value()
        }
        switch (node, batch.values) {
        case (.group(_, _, let children), .structure(let fields)):
            let columns = zip(children, fields).map { values($1, node: $0) }
            return (0..<rows).map { row in nullOr(row) { .group(columns.map { $0[row] }) } }
        case (.list(_, _, let element), .list(let offsets, let elements)):
            let items = values(elements, node: element)
            return (0..<rows).map { row in nullOr(row) { .list(Array(items[offsets[row]..<offsets[row + 1]])) } }
        case (.primitive(let field), let columnValues):
            return (0..<rows).map { row in
                nullOr(row) {
                    switch columnValues {
                    case .boolean(let a): return .boolean(a[row])
                    case .int32(let a): return .int32(a[row])
                    case .int64(let a): return .int64(a[row])
                    case .float(let a): return .float(a[row])
                    case .double(let a): return .double(a[row])
                    case .byteArray(let offsets, let data):
                        let bytes = Array(data[offsets[row]..<offsets[row + 1]])
                        if field.logicalType == .string { return .string(String(decoding: bytes, as: UTF8.self)) }
                        return .bytes(bytes)
                    case .fixedLen(let width, let data): return .bytes(Array(data[(row * width)..<((row + 1) * width)]))
                    case .list, .structure: return .null
                    }
                }
            }
        default:
            return [ParquetValue](repeating: .null, count: rows)
        }
    }
}

/// Lists and structs as a replicated PostgreSQL table has them (arrays, composites, nesting of both), no maps.
enum ListSample {
    static func required(_ name: String, _ type: PhysicalType, _ logical: LogicalType = .none) -> SchemaNode {
        CheckpointSample.required(name, type, logical)
    }
    static func optional(_ name: String, _ type: PhysicalType, _ logical: LogicalType = .none) -> SchemaNode {
        CheckpointSample.optional(name, type, logical)
    }

    static let nodes: [SchemaNode] = [
        required("id", .int64),
        .list(name: "ints", nullable: true, element: optional("element", .int32)),
        .list(name: "tags", nullable: false, element: required("element", .byteArray, .string)),
        .group(
            name: "address", nullable: true,
            children: [
                optional("street", .byteArray, .string), required("number", .int32),
                .group(name: "geo", nullable: true, children: [optional("lat", .int64), optional("lon", .int64)]),
            ]),
        .list(
            name: "matrix", nullable: true,
            element: .list(name: "row", nullable: true, element: optional("cell", .int64))),
        .list(
            name: "points", nullable: true,
            element: .group(
                name: "point", nullable: true,
                children: [
                    required("x", .int32),
                    .list(name: "labels", nullable: true, element: optional("label", .byteArray, .string)),
                ])),
        optional("blob", .fixedLenByteArray(3)),
    ]

    static func rows(_ count: Int, seed: UInt64 = 5) -> [[ParquetValue]] {
        var generator = SeededGenerator(seed: seed)
        func pick(_ n: UInt64) -> Int { Int(generator.next() % n) }
        func ints(_ index: Int) -> ParquetValue {
            switch pick(5) {
            case 0: return .null
            case 1: return .list([])
            default:
                return .list((0..<(1 + pick(6))).map { _ in pick(4) == 0 ? .null : .int32(Int32(pick(2000)) - 1000) })
            }
        }
        return (0..<count).map { index -> [ParquetValue] in
            let tags: ParquetValue = .list((0..<pick(4)).map { .string("t\($0)-\(index % 7) ü") })
            let geo: ParquetValue =
                pick(3) == 0 ? .null : .group([pick(4) == 0 ? .null : .int64(Int64(index)), .int64(-Int64(index))])
            let address: ParquetValue =
                pick(4) == 0
                ? .null : .group([pick(3) == 0 ? .null : .string("street \(index)"), .int32(Int32(index % 100)), geo])
            let matrix: ParquetValue
            switch pick(5) {
            case 0: matrix = .null
            case 1: matrix = .list([])
            case 2: matrix = .list([.null, .list([]), .list([.null])])
            default:
                matrix = .list(
                    (0..<(1 + pick(3))).map { _ in
                        .list((0..<pick(4)).map { _ in pick(4) == 0 ? .null : .int64(Int64(pick(1000)) - 500) })
                    })
            }
            let points: ParquetValue =
                pick(6) == 0
                ? .null
                : .list(
                    (0..<pick(3)).map { point in
                        pick(4) == 0
                            ? .null
                            : .group([
                                .int32(Int32(point)),
                                pick(3) == 0 ? .null : .list((0..<pick(3)).map { .string("l\($0)") }),
                            ])
                    })
            let blob: ParquetValue = pick(3) == 0 ? .null : .bytes([9, UInt8(index % 256), 7])
            return [.int64(Int64(index)), ints(index), tags, address, matrix, points, blob]
        }
    }

    /// The rows as one columnar batch per top-level node.
    static func batches(_ rows: [[ParquetValue]]) -> [ColumnBatch] {
        nodes.enumerated().map { column, node in ColumnarNested.batch(rows.map { $0[column] }, node: node) }
    }
}
