/// Converts between the public flat schema and the footer's depth-first `SchemaElement` list.
enum SchemaConversion {
    static let required: Int32 = 0
    static let optional: Int32 = 1
    static let repeated: Int32 = 2

    // MARK: - Writing

    /// The footer element of a leaf column.
    static func element(for field: ParquetField) -> SchemaElement {
        var element = SchemaElement(name: field.name)
        element.type = field.physicalType.thriftValue
        if case .fixedLenByteArray(let width) = field.physicalType { element.typeLength = Int32(width) }
        element.repetitionType = field.nullable ? optional : required
        element.fieldId = field.fieldId
        if field.logicalType != .none { element.logicalType = LogicalTypeAnnotation(field.logicalType) }
        switch field.logicalType {
        case .none, .uuid: break
        case .string: element.convertedType = ConvertedType.utf8
        case .enumeration: element.convertedType = ConvertedType.enumeration
        case .json: element.convertedType = ConvertedType.json
        case .date: element.convertedType = ConvertedType.date
        case .decimal(let precision, let scale):
            element.convertedType = ConvertedType.decimal
            element.scale = Int32(scale)
            element.precision = Int32(precision)
        case .timestamp(_, let unit):
            // LogicalTypes.md: local timestamps get the legacy annotation too, for old readers.
            switch unit {
            case .milliseconds: element.convertedType = ConvertedType.timestampMillis
            case .microseconds: element.convertedType = ConvertedType.timestampMicros
            case .nanoseconds: break
            }
        case .time(_, let unit):
            switch unit {
            case .milliseconds: element.convertedType = ConvertedType.timeMillis
            case .microseconds: element.convertedType = ConvertedType.timeMicros
            case .nanoseconds: break
            }
        case .integer(let bitWidth, let signed):
            let step = Int32(bitWidth.trailingZeroBitCount - 3)  // 8 -> 0, 16 -> 1, 32 -> 2, 64 -> 3
            element.convertedType = (signed ? ConvertedType.int8 : ConvertedType.uint8) + step
        }
        return element
    }

    static func validate(_ field: ParquetField) throws(ParquetError) {
        func fail(_ why: String) -> ParquetError {
            ParquetError(.invalidSchema, "field '\(field.name)': \(why)")
        }
        let physical = field.physicalType
        if case .fixedLenByteArray(let width) = physical, width <= 0 || width > Int(Int32.max) {
            throw fail("FIXED_LEN_BYTE_ARRAY width \(width) is invalid")
        }
        let fits: Bool
        switch field.logicalType {
        case .none: fits = true
        case .string, .json, .enumeration: fits = physical == .byteArray
        case .date: fits = physical == .int32
        case .timestamp: fits = physical == .int64
        case .time(_, let unit): fits = physical == (unit == .milliseconds ? .int32 : .int64)
        case .uuid: fits = physical == .fixedLenByteArray(16)
        case .integer(let bitWidth, _):
            fits = [8, 16, 32].contains(bitWidth) ? physical == .int32 : bitWidth == 64 && physical == .int64
        case .decimal(let precision, let scale):
            guard precision >= 1, scale >= 0, scale <= precision else {
                throw fail("decimal(\(precision), \(scale)) is invalid")
            }
            switch physical {
            case .int32: fits = precision <= 9
            case .int64: fits = precision <= 18
            case .byteArray: fits = true
            case .fixedLenByteArray(let width): fits = precision <= maxDecimalPrecision(bytes: width)
            default: fits = false
            }
        }
        guard fits else { throw fail("logical type \(field.logicalType) cannot annotate \(physical)") }
    }

    /// The most decimal digits a two's complement integer of `bytes` bytes always holds: floor(log10(2^(8n-1) - 1)).
    static func maxDecimalPrecision(bytes: Int) -> Int {
        Int((Double(8 * bytes - 1) * 0.301_029_995_663_981_2).rounded(.down))
    }

    // MARK: - Reading

    /// The leaf column described by a footer element.
    static func field(from element: SchemaElement, path: String) throws(ParquetError) -> ParquetField {
        let physical: PhysicalType
        switch element.type {
        case 0: physical = .boolean
        case 1: physical = .int32
        case 2: physical = .int64
        case 3: throw ParquetError(.unsupported, "\(path): column '\(element.name)' is INT96")
        case 4: physical = .float
        case 5: physical = .double
        case 6: physical = .byteArray
        case 7:
            guard let width = element.typeLength, width > 0 else {
                throw ParquetError(.corrupt, "\(path): column '\(element.name)' has no type_length")
            }
            physical = .fixedLenByteArray(Int(width))
        default:
            throw ParquetError(.corrupt, "\(path): column '\(element.name)' has physical type \(element.type ?? -1)")
        }
        return ParquetField(
            name: element.name, physicalType: physical, logicalType: logicalType(of: element),
            nullable: element.repetitionType == optional, fieldId: element.fieldId)
    }

    private static func logicalType(of element: SchemaElement) -> LogicalType {
        if let annotation = element.logicalType { return annotation.logicalType }
        switch element.convertedType {
        case ConvertedType.utf8: return .string
        case ConvertedType.enumeration: return .enumeration
        case ConvertedType.json: return .json
        case ConvertedType.date: return .date
        case ConvertedType.decimal:
            return .decimal(precision: Int(element.precision ?? 0), scale: Int(element.scale ?? 0))
        case ConvertedType.timeMillis: return .time(utcAdjusted: true, unit: .milliseconds)
        case ConvertedType.timeMicros: return .time(utcAdjusted: true, unit: .microseconds)
        case ConvertedType.timestampMillis: return .timestamp(utcAdjusted: true, unit: .milliseconds)
        case ConvertedType.timestampMicros: return .timestamp(utcAdjusted: true, unit: .microseconds)
        case .some(let value) where (ConvertedType.uint8..<ConvertedType.uint8 + 8).contains(value):
            let step = value - ConvertedType.uint8
            return .integer(bitWidth: 8 << Int(step % 4), signed: step >= 4)
        default: return .none
        }
    }
}
