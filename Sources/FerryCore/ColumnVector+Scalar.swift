extension ColumnVector {
    /// Appends `value` as a value of `type`; `false` when the value cannot be represented exactly.
    @discardableResult
    public mutating func append(_ value: ScalarValue?, as type: ColumnType) -> Bool {
        guard let value else {
            appendNull()
            return true
        }
        switch (type, value) {
        case (.boolean, .int(let v)): append(v != 0)
        case (.int16, .int(let v)), (.int32, .int(let v)), (.int64, .int(let v)), (.time, .int(let v)): append(v)
        case (.date, .date(let d)): append(d)
        case (.timestamp, .timestamp(let us, _)), (.timestampTZ, .timestamp(let us, _)): append(us)
        case (.float32, .double(let d)), (.float64, .double(let d)): append(d)
        case (.float32, .int(let v)), (.float64, .int(let v)): append(Double(v))
        case (.decimal(let p, let s), .decimal(let v, let scale)):
            guard let rescaled = DecimalText.rescale(v, from: scale, to: s, precision: p) else { return false }
            append(decimal: rescaled)
        case (.decimal(let p, let s), .int(let v)):
            guard let rescaled = DecimalText.parse(String(v), scale: s, precision: p) else { return false }
            append(decimal: rescaled)
        case (.numeric, .decimal(let v, let scale)): append(string: DecimalText.format(unscaled: v, scale: scale))
        case (.numeric, .int(let v)): append(string: String(v))
        case (.uuid, .text(let s)):
            guard let b = UUIDText.parse(s) else { return false }
            append(bytes: b)
        case (.uuid, .bytes(let b)), (.bytes, .bytes(let b)): append(bytes: b)
        case (.bytes, .text(let s)), (.text, .text(let s)), (.numeric, .text(let s)), (.json, .text(let s)),
            (.jsonb, .text(let s)):
            append(string: s)
        case (.list(let element), .list(let elements)):
            do throws(Unrepresentable) {
                try appendList { (out: inout ColumnVector) throws(Unrepresentable) in
                    for e in elements where !out.append(e, as: element) { throw Unrepresentable() }
                }
            } catch { return false }
        case (.structure(let fields), .structure(let items)):
            guard fields.count == items.count else { return false }
            do throws(Unrepresentable) {
                try appendStructure { (children: inout [ColumnVector]) throws(Unrepresentable) in
                    for (i, field) in fields.enumerated() where !children[i].append(items[i], as: field.type) {
                        throw Unrepresentable()
                    }
                }
            } catch { return false }
        case (.text, _): append(string: value.description)
        default: return false
        }
        return true
    }
}

/// A value that does not fit its column, thrown out of a nested append so the half-appended row is undone.
private struct Unrepresentable: Error {}

extension RecordBatch {
    /// A batch of `rows` (values in column order) typed as `columns`; `nil` when a value does not fit its column.
    public init?(rows: [[ScalarValue?]], columns: [Column]) {
        self.init(columns: columns, capacity: rows.count)
        for row in rows {
            for (i, column) in columns.enumerated() {
                guard vectors[i].append(i < row.count ? row[i] : nil, as: column.type) else { return nil }
            }
        }
    }
}
