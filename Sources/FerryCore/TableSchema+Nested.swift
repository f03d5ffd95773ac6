extension TableSchema {
    /// Fails naming the first list or structure column, for a connector that cannot store nested values yet: a
    /// clear error before anything is written beats a crash or a silently flattened value.
    public func rejectNestedColumns(target: String, table: String) throws(FerryError) {
        guard let column = columns.first(where: { $0.type.isNested }) else { return }
        let what = if case .list = column.type { "an array" } else { "a composite (structure)" }
        throw FerryError(
            .schema,
            "column \(column.name) of \(table) is \(what) (\(column.type)); \(target) targets do not support "
                + "nested values yet: cast the column to text in a view on the source, or leave it out of the config",
            table: table)
    }
}
