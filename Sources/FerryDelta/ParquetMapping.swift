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

    static func field(_ column: Column) -> ParquetField {
        let (physical, logical): (PhysicalType, LogicalType)
        switch column.type {
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
        }
        return ParquetField(name: column.name, physicalType: physical, logicalType: logical, nullable: column.nullable)
    }

    static func schema(_ columns: [Column]) -> ParquetSchema {
        ParquetSchema(fields: columns.map(field))
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
        case (.uuid, .bytes(let b)):
            var out = BinaryArray(capacity: b.count, byteCapacity: b.count * 36)
            for i in 0..<b.count {
                if b[i].count == 16 { out.append(string: UUIDText.format(Array(b[i]))) } else { out.appendEmpty() }
            }
            values = .byteArray(offsets: out.offsets, data: out.data)
        case (.time, .int64(let a)):
            var out = BinaryArray(capacity: a.count, byteCapacity: a.count * 15)
            for (i, v) in a.enumerated() {
                if vector.validity[i] { out.append(string: TimeText.formatTime(micros: v)) } else { out.appendEmpty() }
            }
            values = .byteArray(offsets: out.offsets, data: out.data)
        case (_, .bytes(let b)): values = .byteArray(offsets: b.offsets, data: b.data)
        default:
            preconditionFailure("column of type \(type) holds \(vector.values) storage")
        }
        return ColumnBatch(values: values, validity: validity)
    }

    static func columns(_ batch: RecordBatch) -> [ColumnBatch] {
        zip(batch.vectors, batch.columns).map { column($0, type: $1.type) }
    }

    /// A Parquet column (as this writer or another wrote it) as a Ferry column vector of `type`.
    static func vector(_ column: ColumnBatch, type: ColumnType, name: String) throws(FerryError) -> ColumnVector {
        var v = ColumnVector(kind: type.storage, capacity: column.count)
        for i in 0..<column.count {
            if column.isNull(i) {
                v.appendNull()
                continue
            }
            switch (type, column.values) {
            case (.boolean, .boolean(let a)): v.append(a[i])
            case (_, .int32(let a)) where type.storage == .int64: v.append(Int64(a[i]))
            case (_, .int64(let a)) where type.storage == .int64: v.append(a[i])
            case (_, .float(let a)): v.append(Double(a[i]))
            case (_, .double(let a)): v.append(a[i])
            case (.decimal, .int32(let a)): v.append(decimal: Int128(a[i]))
            case (.decimal, .int64(let a)): v.append(decimal: Int128(a[i]))
            case (.decimal, .fixedLen(let width, let data)):
                var u: UInt128 = (data[i * width] & 0x80) != 0 ? ~0 : 0
                for k in 0..<width { u = (u << 8) | UInt128(data[i * width + k]) }
                v.append(decimal: Int128(bitPattern: u))
            case (.uuid, .byteArray(let offsets, let data)):
                guard let b = UUIDText.parse(String(decoding: data[offsets[i]..<offsets[i + 1]], as: UTF8.self)) else {
                    throw FerryError(.data, "column \(name): a value is not a UUID")
                }
                v.append(bytes: b)
            case (.time, .byteArray(let offsets, let data)):
                guard let t = TimeText.parseTime(String(decoding: data[offsets[i]..<offsets[i + 1]], as: UTF8.self))
                else {
                    throw FerryError(.data, "column \(name): a value is not a time")
                }
                v.append(t)
            case (_, .byteArray(let offsets, let data)) where type.storage == .bytes:
                v.append(bytes: data[offsets[i]..<offsets[i + 1]])
            default:
                throw FerryError(.schema, "column \(name): the Parquet data does not match the table's type \(type)")
            }
        }
        return v
    }
}
