import FerryCore
import Foundation
import Parquet

/// Converts Ferry's columnar batches to Parquet columns and back, without going through per-row values.
enum ParquetMapping {
    /// Bytes of a FIXED_LEN_BYTE_ARRAY decimal of `precision` digits (the minimal two's-complement width).
    static func decimalWidth(_ precision: Int) -> Int {
        var bytes = 1
        while true {
            // Largest magnitude representable in `bytes` bytes: 2^(8·bytes−1) − 1; compare digit counts.
            let bits = Double(8 * bytes - 1)
            if bits * log10(2.0) >= Double(precision) { return bytes }
            bytes += 1
        }
    }

    /// The Parquet leaf of a primitive column (a nested column's type gets the leaf of a string, never used: see
    /// ``node(name:type:nullable:)``).
    static func field(_ column: Column) -> ParquetField {
        field(name: column.name, type: column.type, nullable: column.nullable)
    }

    static func field(name: String, type: ColumnType, nullable: Bool) -> ParquetField {
        let (physical, logical): (PhysicalType, LogicalType)
        switch type {
        case .boolean: (physical, logical) = (.boolean, .none)
        case .int16: (physical, logical) = (.int32, .integer(bitWidth: 16, signed: true))
        case .int32: (physical, logical) = (.int32, .none)
        case .int64: (physical, logical) = (.int64, .none)
        case .float32: (physical, logical) = (.float, .none)
        case .float64: (physical, logical) = (.double, .none)
        case .decimal(let p, let s):
            let physicalType: PhysicalType = p <= 9 ? .int32 : (p <= 18 ? .int64 : .fixedLenByteArray(decimalWidth(p)))
            (physical, logical) = (physicalType, .decimal(precision: p, scale: s))
        case .numeric, .text, .uuid, .json, .jsonb, .time: (physical, logical) = (.byteArray, .string)
        case .bytes: (physical, logical) = (.byteArray, .none)
        case .date: (physical, logical) = (.int32, .date)
        case .timestamp: (physical, logical) = (.int64, .timestamp(utcAdjusted: false))
        case .timestampTZ: (physical, logical) = (.int64, .timestamp(utcAdjusted: true))
        case .list, .structure: (physical, logical) = (.byteArray, .string)
        }
        return ParquetField(name: name, physicalType: physical, logicalType: logical, nullable: nullable)
    }

    /// The Parquet schema node of a column: a leaf, a 3-level LIST of nullable elements (Delta's
    /// `containsNull: true`), or a group of nullable fields.
    static func node(name: String, type: ColumnType, nullable: Bool) -> SchemaNode {
        switch type {
        case .list(let element):
            return .list(name: name, nullable: nullable, element: node(name: "element", type: element, nullable: true))
        case .structure(let fields):
            return .group(
                name: name, nullable: nullable,
                children: fields.map { node(name: $0.name, type: $0.type, nullable: true) })
        default:
            return .primitive(field(name: name, type: type, nullable: nullable))
        }
    }

    static func nodes(_ columns: [Column]) -> [SchemaNode] {
        columns.map { node(name: $0.name, type: $0.type, nullable: $0.nullable) }
    }

    /// One Ferry column vector as a Parquet column.
    static func column(_ vector: ColumnVector, type: ColumnType) -> ColumnBatch {
        let validity = vector.validity.contains(false) ? vector.validity : nil
        let values: ColumnValues
        switch (type, vector.values) {
        case (.boolean, .boolean(let a)): values = .boolean(a)
        case (.int16, .int64(let a)), (.int32, .int64(let a)), (.date, .int64(let a)):
            values = .int32(a.map { Int32(truncatingIfNeeded: $0) })
        case (.int64, .int64(let a)), (.timestamp, .int64(let a)), (.timestampTZ, .int64(let a)): values = .int64(a)
        case (.float32, .float64(let a)): values = .float(a.map { Float($0) })
        case (.float64, .float64(let a)): values = .double(a)
        case (.decimal(let p, _), .decimal(let a)):
            if p <= 9 {
                values = .int32(a.map { Int32(truncatingIfNeeded: $0) })
            } else if p <= 18 {
                values = .int64(a.map { Int64(truncatingIfNeeded: $0) })
            } else {
                let width = decimalWidth(p)
                var data = [UInt8]()
                data.reserveCapacity(a.count * width)
                for v in a {
                    let u = UInt128(bitPattern: v)
                    for i in stride(from: width - 1, through: 0, by: -1) {
                        data.append(UInt8(truncatingIfNeeded: u >> (8 * i)))
                    }
                }
                values = .fixedLen(width: width, data: data)
            }
        case (.uuid, .bytes(let b)): values = uuidText(b)
        case (.time, .int64(let a)):
            var out = BinaryArray(capacity: a.count, byteCapacity: a.count * 15)
            for (i, v) in a.enumerated() {
                if vector.validity[i] { out.append(string: TimeText.formatTime(micros: v)) } else { out.appendEmpty() }
            }
            values = .byteArray(offsets: out.offsets, data: out.data)
        case (_, .bytes(let b)): values = .byteArray(offsets: b.offsets, data: b.data)
        case (.list(let element), .list(let offsets, let elements)):
            values = .list(offsets: offsets, elements: column(elements, type: element))
        case (.structure(let fields), .structure(let children)):
            values = .structure(zip(children, fields).map { column($0, type: $1.type) })
        default:
            preconditionFailure("column of type \(type) holds \(vector.values) storage")
        }
        return ColumnBatch(values: values, validity: validity)
    }

    /// 16-byte uuids as their lowercase hyphenated text (as `UUIDText.format` writes it), straight into one buffer;
    /// a slot not holding 16 bytes (NULL) stays empty.
    static func uuidText(_ b: BinaryArray) -> ColumnValues {
        var offsets = [Int](repeating: 0, count: b.count + 1)
        let data = [UInt8](unsafeUninitializedCapacity: 36 * b.count) { buffer, initialized in
            var written = 0
            for i in 0..<b.count {
                let value = b[i]
                if value.count == 16 {
                    var k = 0
                    for byte in value {
                        if k == 4 || k == 6 || k == 8 || k == 10 {
                            buffer[written] = UInt8(ascii: "-")
                            written += 1
                        }
                        buffer[written] = hexDigit(byte >> 4)
                        buffer[written + 1] = hexDigit(byte & 0xF)
                        written += 2
                        k += 1
                    }
                }
                offsets[i + 1] = written
            }
            initialized = written
        }
        return .byteArray(offsets: offsets, data: data)
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 &+ v : 0x61 &+ v &- 10 }

    static func columns(_ batch: RecordBatch) -> [ColumnBatch] {
        zip(batch.vectors, batch.columns).map { column($0, type: $1.type) }
    }

    /// A Parquet column (as this writer or another wrote it) as a Ferry column vector of `type`.
    ///
    /// Whole arrays are adopted or converted at once: both sides keep a zero placeholder in NULL slots, so no value
    /// needs looking at one by one except where the representation differs (uuid text, times, wide decimals).
    static func vector(_ column: ColumnBatch, type: ColumnType, name: String) throws(FerryError) -> ColumnVector {
        let validity = column.validity ?? [Bool](repeating: true, count: column.count)
        switch (type, column.values) {
        case (.boolean, .boolean(let a)): return ColumnVector(values: .boolean(a), validity: validity)
        case (_, .int32(let a)) where type.storage == .int64:
            return ColumnVector(values: .int64(a.map { Int64($0) }), validity: validity)
        case (_, .int64(let a)) where type.storage == .int64: return ColumnVector(values: .int64(a), validity: validity)
        case (_, .float(let a)) where type.storage == .float64:
            return ColumnVector(values: .float64(a.map { Double($0) }), validity: validity)
        case (_, .double(let a)) where type.storage == .float64:
            return ColumnVector(values: .float64(a), validity: validity)
        case (.decimal, .int32(let a)): return ColumnVector(values: .decimal(a.map { Int128($0) }), validity: validity)
        case (.decimal, .int64(let a)): return ColumnVector(values: .decimal(a.map { Int128($0) }), validity: validity)
        case (.uuid, .byteArray(let offsets, let data)):
            guard let bytes = uuidBytes(offsets: offsets, data: data, validity: validity) else {
                throw FerryError(.data, "column \(name): a value is not a UUID")
            }
            return ColumnVector(values: .bytes(bytes), validity: validity)
        case (.time, _): return try vectorByValue(column, type: type, name: name)
        case (_, .byteArray(let offsets, let data)) where type.storage == .bytes:
            return ColumnVector(values: .bytes(BinaryArray(offsets: offsets, data: data)), validity: validity)
        case (.list(let element), .list(let offsets, let elements)):
            let items = try vector(elements, type: element, name: name)
            return ColumnVector(values: .list(offsets: offsets, elements: items), validity: validity)
        case (.structure(let fields), .structure(let children)) where children.count == fields.count:
            var vectors: [ColumnVector] = []
            for (child, field) in zip(children, fields) {
                vectors.append(try vector(child, type: field.type, name: "\(name).\(field.name)"))
            }
            return ColumnVector(values: .structure(vectors), validity: validity)
        case (.list, _), (.structure, _), (_, .list), (_, .structure):
            throw FerryError(.schema, "column \(name): the Parquet data does not match the table's type \(type)")
        default: return try vectorByValue(column, type: type, name: name)
        }
    }

    /// uuid text values as their 16 bytes (empty in NULL slots), parsed straight from the column's buffer into one
    /// output buffer; `nil` when a value is not a UUID.
    static func uuidBytes(offsets: [Int], data: [UInt8], validity: [Bool]) -> BinaryArray? {
        let rows = validity.count
        var outOffsets = [Int](repeating: 0, count: rows + 1)
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: 16 * rows) { buffer, initialized in
            initialized = 0
            data.withUnsafeBufferPointer { text in
                nibbles.withUnsafeBufferPointer { nibbles in
                    var written = 0
                    for i in 0..<rows {
                        if validity[i] {
                            let value = text[offsets[i]..<offsets[i + 1]]
                            guard parseUUID(value, nibbles: nibbles, into: buffer, at: written) else {
                                valid = false
                                return
                            }
                            written += 16
                        }
                        outOffsets[i + 1] = written
                    }
                    initialized = written
                }
            }
        }
        return valid ? BinaryArray(offsets: outOffsets, data: out) : nil
    }

    /// Marks a byte `UUIDText.parse` skips (`-`, `{`, `}`) in `nibbles`.
    private static let skipped: UInt8 = 0x10
    /// Marks a byte that is no part of a uuid in `nibbles`.
    private static let invalid: UInt8 = 0x20

    /// The value of every byte as a hex digit, or `skipped`/`invalid`: a table lookup has no branch to mispredict
    /// on the random mix of digits and letters.
    private static let nibbles: [UInt8] = (0...255).map { (c: Int) -> UInt8 in
        switch c {
        case 0x30...0x39: UInt8(c - 0x30)
        case 0x61...0x66: UInt8(c - 0x61 + 10)
        case 0x41...0x46: UInt8(c - 0x41 + 10)
        case 0x2D, 0x7B, 0x7D: skipped
        default: invalid
        }
    }

    /// Writes the 16 bytes of the uuid `text` at `out[base...]`; `false` if malformed. Accepts what
    /// `UUIDText.parse` accepts: exactly 32 hex digits of any case, with `-`, `{` and `}` anywhere. The canonical
    /// 36-byte form (hyphens at 8, 13, 18, 23) is read from fixed places.
    private static func parseUUID(
        _ text: Slice<UnsafeBufferPointer<UInt8>>, nibbles: UnsafeBufferPointer<UInt8>,
        into out: UnsafeMutableBufferPointer<UInt8>, at base: Int
    ) -> Bool {
        let s = text.startIndex
        let hyphen = UInt8(ascii: "-")
        if text.count == 36, text[s + 8] == hyphen, text[s + 13] == hyphen, text[s + 18] == hyphen,
            text[s + 23] == hyphen
        {
            var seen: UInt8 = 0
            for k in 0..<16 {
                // Hyphens before byte k: none for 0-3, then one more per two bytes, four from byte 10 on.
                let p = s + 2 * k + (k < 4 ? 0 : min((k - 2) / 2, 4))
                let high = nibbles[Int(text[p])]
                let low = nibbles[Int(text[p + 1])]
                seen |= high | low
                out[base + k] = high << 4 | low
            }
            if seen < skipped { return true }
        }
        var digits = 0
        var high: UInt8 = 0
        for c in text {
            let v = nibbles[Int(c)]
            if v == skipped { continue }
            guard v < skipped, digits < 32 else { return false }
            if digits & 1 == 0 { high = v } else { out[base + digits >> 1] = high << 4 | v }
            digits += 1
        }
        return digits == 32
    }

    /// The value-by-value conversion, for the types whose Parquet form must be parsed per value (times, wide
    /// decimals); any other pairing is a mismatch, reported at the first non-NULL value.
    private static func vectorByValue(
        _ column: ColumnBatch, type: ColumnType, name: String
    ) throws(FerryError) -> ColumnVector {
        var v = ColumnVector(type: type, capacity: column.count)
        for i in 0..<column.count {
            if column.isNull(i) {
                v.appendNull()
                continue
            }
            switch (type, column.values) {
            case (.decimal, .fixedLen(let width, let data)):
                var u: UInt128 = (data[i * width] & 0x80) != 0 ? ~0 : 0
                for k in 0..<width { u = (u << 8) | UInt128(data[i * width + k]) }
                v.append(decimal: Int128(bitPattern: u))
            case (.time, .byteArray(let offsets, let data)):
                guard let t = TimeText.parseTime(String(decoding: data[offsets[i]..<offsets[i + 1]], as: UTF8.self))
                else {
                    throw FerryError(.data, "column \(name): a value is not a time")
                }
                v.append(t)
            default:
                throw FerryError(.schema, "column \(name): the Parquet data does not match the table's type \(type)")
            }
        }
        return v
    }
}
