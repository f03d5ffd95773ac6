/// Python helpers shared by the pyarrow interop tests. Values are printed in the canonical token form of
/// `tokens(_:field:)`: integers in decimal (decimals unscaled), floats as the hex of their little-endian bytes,
/// text and binary as hex, booleans as true/false, NULL as null.
enum PythonScripts {
    static let tokenFunctions = #"""
        import decimal, json, struct, sys
        import pyarrow as pa
        import pyarrow.parquet as pq

        decimal.getcontext().prec = 100

        def storage(array):
            return array.storage if isinstance(array.type, pa.BaseExtensionType) else array

        def tokens(array):
            array = storage(array)
            t = array.type
            if pa.types.is_timestamp(t) or pa.types.is_time64(t):
                array = array.cast(pa.int64())
            elif pa.types.is_date32(t) or pa.types.is_time32(t):
                array = array.cast(pa.int32())
            out = []
            for v in array.to_pylist():
                if v is None:
                    out.append(None)
                elif isinstance(v, bool):
                    out.append("true" if v else "false")
                elif isinstance(v, int):
                    out.append(str(v))
                elif isinstance(v, float):
                    out.append(struct.pack("<f" if pa.types.is_float32(t) else "<d", v).hex())
                elif isinstance(v, decimal.Decimal):
                    out.append(str(int(v.scaleb(t.scale))))
                elif isinstance(v, str):
                    out.append(v.encode("utf-8").hex())
                else:
                    out.append(bytes(v).hex())
            return out

        def raw_token(value, physical):
            if value is None:
                return None
            if physical == "BOOLEAN":
                return "true" if value else "false"
            if physical == "INT32":
                return str((value + 2**31) % 2**32 - 2**31)
            if physical == "INT64":
                return str((value + 2**63) % 2**64 - 2**63)
            if physical == "FLOAT":
                return struct.pack("<f", value).hex()
            if physical == "DOUBLE":
                return struct.pack("<d", value).hex()
            return bytes(value).hex()
        """#

    /// argv[1:]: Parquet files. Prints, per file: arrow types, logical types, values, row group statistics.
    static let describeFiles =
        tokenFunctions + #"""

            result = []
            for path in sys.argv[1:]:
                pf = pq.ParquetFile(path)
                table = pq.read_table(path)
                md = pf.metadata
                groups = []
                for i in range(md.num_row_groups):
                    rg = md.row_group(i)
                    columns = []
                    for j in range(rg.num_columns):
                        c = rg.column(j)
                        s = c.statistics
                        entry = {"encodings": list(c.encodings), "compression": c.compression,
                                 "has_dictionary": c.has_dictionary_page}
                        if s is not None:
                            entry["null_count"] = s.null_count
                            entry["has_min_max"] = s.has_min_max
                            if s.has_min_max:
                                entry["min"] = raw_token(s.min_raw, s.physical_type)
                                entry["max"] = raw_token(s.max_raw, s.physical_type)
                        columns.append(entry)
                    groups.append({"num_rows": rg.num_rows, "columns": columns})
                result.append({
                    "num_rows": md.num_rows,
                    "created_by": md.created_by,
                    "metadata": {k.decode(): v.decode() for k, v in (md.metadata or {}).items()},
                    "arrow_types": {f.name: str(f.type) for f in pf.schema_arrow},
                    "logical_types": {pf.schema.column(j).name: str(pf.schema.column(j).logical_type)
                                      for j in range(len(pf.schema))},
                    "values": {name: tokens(table.column(name).combine_chunks()) for name in table.column_names},
                    "row_groups": groups,
                })
            print(json.dumps(result))
            """#

    /// argv[1]: directory. Writes files with pyarrow in many configurations and prints their names and values.
    static let writeFiles =
        tokenFunctions + #"""

            import datetime, os
            directory = sys.argv[1]
            n = 2500
            def nulls(period):
                return [i % period == period - 1 for i in range(n)]
            def masked(values, period):
                return [None if i % period == period - 1 else v for i, v in enumerate(values)]
            words = ["", "alpha", "béta", "🦆", "gamma delta", "x" * 40]
            table = pa.table({
                "i32": pa.array([(i * 7919) % 200001 - 100000 for i in range(n)], pa.int32()),
                "i64": pa.array(masked([(i * 104729) ** 2 - 2**40 if i % 97 else (2**63 - 1 if i % 2 else -2**63)
                                        for i in range(n)], 7), pa.int64()),
                "f32": pa.array(masked([i / 3.0 - 400 for i in range(n)], 5), pa.float32()),
                "f64": pa.array([float(i) * 1.5e10 if i % 11 else -0.0 for i in range(n)], pa.float64()),
                "flag": pa.array(masked([i % 3 == 0 for i in range(n)], 4), pa.bool_()),
                "word": pa.array(masked([words[i % len(words)] for i in range(n)], 6), pa.string()),
                "uniq": pa.array([f"value-{i * 31337 % 99991}-{i}" for i in range(n)], pa.string()),
                "blob": pa.array(masked([bytes([i % 256]) * (i % 5) for i in range(n)], 3), pa.binary()),
                "day": pa.array(masked([datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 13 - 9000)
                                        for i in range(n)], 8), pa.date32()),
                "ts": pa.array([i * 1000003 - 10**12 for i in range(n)], pa.timestamp("us", tz="UTC")),
                "dec": pa.array(masked([decimal.Decimal(i * 1234567 - 10**9).scaleb(-2) for i in range(n)], 9),
                                pa.decimal128(12, 2)),
                "dec38": pa.array([decimal.Decimal(10**38 - 1 - i * 10**30) * (1 if i % 2 else -1) / 10**10
                                   for i in range(n)], pa.decimal128(38, 10)),
                "fixed": pa.array([bytes([i % 256, (i * 7) % 256, 1]) for i in range(n)], pa.binary(3)),
            })
            configs = [
                ("snappy_v1", dict(compression="snappy")),
                ("zstd_v2", dict(compression="zstd", data_page_version="2.0")),
                ("gzip_plain", dict(compression="gzip", use_dictionary=False)),
                ("none_v2_plain", dict(compression="none", data_page_version="2.0", use_dictionary=False)),
                ("groups", dict(compression="zstd", row_group_size=600, data_page_size=2048)),
                ("int_decimals", dict(compression="snappy", store_decimal_as_integer=True)),
                ("delta", dict(compression="zstd", use_dictionary=False, data_page_version="2.0",
                               column_encoding={"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED",
                                                "word": "DELTA_BYTE_ARRAY", "uniq": "DELTA_LENGTH_BYTE_ARRAY",
                                                "f64": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT",
                                                "fixed": "DELTA_BYTE_ARRAY", "flag": "RLE"})),
                ("delta_v1", dict(compression="snappy", use_dictionary=False, data_page_size=1024,
                                  column_encoding={"i64": "DELTA_BINARY_PACKED", "uniq": "DELTA_BYTE_ARRAY",
                                                   "dec38": "BYTE_STREAM_SPLIT"})),
                ("checksums", dict(compression="gzip", write_page_checksum=True)),
            ]
            files = []
            for name, options in configs:
                path = os.path.join(directory, name + ".parquet")
                pq.write_table(table, path, **options)
                files.append(name)
            print(json.dumps({
                "files": files,
                "values": {name: tokens(table.column(name).combine_chunks()) for name in table.column_names},
            }))
            """#

    /// argv[1]: a nested file we wrote; argv[2]: a directory. Prints our file's rows, then writes nested files
    /// with pyarrow and prints theirs, all in the canonical form of `canonical(row:)`.
    static let nestedRoundTrip = #"""
        import json, os, sys
        import pyarrow as pa
        import pyarrow.parquet as pq

        def canon(v, t):
            if v is None:
                return None
            if pa.types.is_struct(t):
                return {"g": [canon(v[t.field(i).name], t.field(i).type) for i in range(t.num_fields)]}
            if pa.types.is_map(t):
                return {"m": [[canon(k, t.key_type), canon(x, t.item_type)] for k, x in v]}
            if pa.types.is_list(t) or pa.types.is_large_list(t):
                return {"l": [canon(x, t.value_type) for x in v]}
            if isinstance(v, (bool, int)):
                return v
            if isinstance(v, str):
                return {"s": v}
            if isinstance(v, bytes):
                return v.hex()
            raise TypeError(repr(v))

        def rows(table):
            columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
            types = [f.type for f in table.schema]
            return [json.dumps([canon(columns[c][r], types[c]) for c in range(len(columns))],
                               separators=(",", ":"), ensure_ascii=False)
                    for r in range(table.num_rows)]

        ours = rows(pq.read_table(sys.argv[1]))
        directory = sys.argv[2]
        n = 700
        point = pa.struct([("x", pa.int32()), ("y", pa.list_(pa.string()))])
        def maybe(i, period, value):
            return None if i % period == 0 else value
        table = pa.table({
            "flat": pa.array([maybe(i, 7, i * 3) for i in range(n)], pa.int64()),
            "s": pa.array([maybe(i, 5, {"a": i, "b": maybe(i, 3, f"b{i}"), "c": [i, maybe(i, 2, -i)]})
                           for i in range(n)], pa.struct([("a", pa.int32()), ("b", pa.string()),
                                                          ("c", pa.list_(pa.int64()))])),
            "l": pa.array([maybe(i, 6, [maybe(j, 4, j * i) for j in range(i % 5)]) for i in range(n)],
                          pa.list_(pa.int64())),
            "m": pa.array([maybe(i, 4, [(f"k{j}", maybe(j + i, 3, j)) for j in range(i % 4)]) for i in range(n)],
                          pa.map_(pa.string(), pa.int32())),
            "ls": pa.array([[maybe(j, 3, {"x": j, "y": maybe(i, 2, ["ü", "", f"{i}"][: j + 1])})
                             for j in range(i % 4)] for i in range(n)], pa.list_(point)),
            "ll": pa.array([maybe(i, 9, [maybe(j, 2, [k for k in range(j)]) for j in range(i % 3)])
                            for i in range(n)], pa.list_(pa.list_(pa.int32()))),
            "b": pa.array([maybe(i, 8, bytes([i % 256]) * (i % 3)) for i in range(n)], pa.binary()),
        })
        configs = {
            "nested_v1.parquet": dict(compression="snappy"),
            "nested_v2.parquet": dict(compression="zstd", data_page_version="2.0"),
            "nested_plain.parquet": dict(compression="gzip", use_dictionary=False),
            "nested_groups.parquet": dict(compression="none", row_group_size=100, data_page_size=512),
        }
        expected = rows(table)
        for name, options in configs.items():
            pq.write_table(table, os.path.join(directory, name), **options)
        print(json.dumps({"ours": ours, "files": {name: expected for name in configs}}, ensure_ascii=False))
        """#

    /// Per leaf column (by dotted path): min and max over the row groups' statistics, and the entries (num_values).
    static let leafStatistics = #"""
        import json, sys
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(sys.argv[1]).metadata
        out = {}
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                entry = out.setdefault(column.path_in_schema, {"min": None, "max": None, "num_values": 0})
                entry["num_values"] += column.num_values
                s = column.statistics
                if s is not None and s.has_min_max:
                    entry["min"] = s.min if entry["min"] is None else min(entry["min"], s.min)
                    entry["max"] = s.max if entry["max"] is None else max(entry["max"], s.max)
        print(json.dumps({k: {x: (y if isinstance(y, int) or y is None else str(y)) for x, y in v.items()}
                          for k, v in out.items()}))
        """#
}
