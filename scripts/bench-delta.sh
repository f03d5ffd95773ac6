#!/usr/bin/env bash
# Benchmark: Ferry's PG->Delta full_replace (zstd) against the COPY floor and Python peers, in one run.
#
#   scripts/bench-delta.sh [ROWS]        (default 5,000,000)
#
# Same table as scripts/bench-refresh.sh. Measures, against one throwaway PostgreSQL cluster:
#   floor:  psql COPY orders TO STDOUT (FORMAT binary) > /dev/null over TCP;
#   ferry:  ferry run (release build), full_replace into a Delta table, zstd;
#   connectorx + deltalake write_deltalake (if pip can install them), connectorx + pyarrow zstd Parquet, and
#   dlt's sql_database (connectorx backend) -> filesystem destination as a Delta table.
# Prints each time, the ratio to the floor, peak RSS, output size, and the row count read back with deltalake.
set -euo pipefail
ROWS="${1:-5000000}"
cd "$(dirname "$0")/.."
ROOT="$PWD"
scripts/bootstrap.sh >/dev/null
# The Python peers get a virtual environment of their own (.venv-bench): they pull in versions of pyarrow and
# deltalake that the test readers in .venv are pinned against. A peer that cannot be installed is left out.
PEERPY="$ROOT/.venv-bench/bin/python"
[ -x "$PEERPY" ] || python3 -m venv "$ROOT/.venv-bench"
"$PEERPY" -c "import connectorx, deltalake" 2>/dev/null \
    || "$PEERPY" -m pip install -q --disable-pip-version-check connectorx deltalake pyarrow || true
"$PEERPY" -c "import dlt, sqlalchemy, psycopg2" 2>/dev/null \
    || "$PEERPY" -m pip install -q --disable-pip-version-check "dlt[deltalake,filesystem]" sqlalchemy psycopg2-binary \
    || true

source scripts/bench-common.sh
bench_build
bench_start_cluster "-c shared_buffers=512MB -c max_wal_size=4GB -c fsync=off"
trap bench_cleanup EXIT
"${PSQL[@]}" -d postgres -c "CREATE DATABASE src"

bench_orders src "$ROWS"
"${PSQL[@]}" -d src -c "CREATE INDEX orders_customer ON orders (customer_id)"

secs() { python3 -c "print(f'{$2-$1:.2f}')"; }
timed() {  # name, command...: prints "name seconds rss_mib"
    local name="$1"; shift
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || { echo "$name failed: $(tail -3 "$WORK/err")"; return 1; }
    t1=$(date +%s.%N)
    echo "$name $(secs "$t0" "$t1") $(( $(tail -1 "$WORK/rss") / 1024 ))"
}

echo "== floor: COPY TO STDOUT (FORMAT binary) > /dev/null"
FLOOR=$(timed floor "${PSQL[@]}" -d src -c "COPY orders TO STDOUT (FORMAT binary)")

cat > "$WORK/ferry.yaml" <<YAML
databases:
  source: {type: postgres, host: 127.0.0.1, port: $PORT, database: src}
  target: {type: delta, path: $WORK/lake, compression: zstd}
state: {path: $WORK/state.db}
tables:
  - {name: public.orders, sync_mode: full_replace, batch_size: 10000}
settings: {workers: 1, confirm: false}
YAML
echo "== ferry: full_replace into Delta (zstd)"
export SOURCE_DB_USER=bench
FERRY_R=$(timed ferry "$FERRY" run --config "$WORK/ferry.yaml")
FERRY_SIZE=$(du -sb "$WORK/lake/orders" | cut -f1)
FERRY_ROWS=$("$PY" -c "import sys; from deltalake import DeltaTable; print(DeltaTable(sys.argv[1]).to_pyarrow_dataset().count_rows())" "$WORK/lake/orders")

URI="postgresql://bench@127.0.0.1:$PORT/src"
cat > "$WORK/cx_delta.py" <<PY
import connectorx as cx
from deltalake import write_deltalake
t = cx.read_sql("$URI", "SELECT * FROM orders", return_type="arrow")
write_deltalake("$WORK/cx_lake", t, mode="overwrite")
PY
cat > "$WORK/cx_parquet.py" <<PY
import connectorx as cx, pyarrow.parquet as pq
t = cx.read_sql("$URI", "SELECT * FROM orders", return_type="arrow")
pq.write_table(t, "$WORK/cx.parquet", compression="zstd")
PY
cat > "$WORK/dlt_delta.py" <<PY
import dlt
from dlt.sources.sql_database import sql_table
t = sql_table(credentials="postgresql+psycopg2://bench@127.0.0.1:$PORT/src", table="orders", backend="connectorx")
p = dlt.pipeline(pipeline_name="bench", destination=dlt.destinations.filesystem(bucket_url="file://$WORK/dlt_lake"),
                 dataset_name="bench", pipelines_dir="$WORK/dlt_pipelines")
p.run(t, table_format="delta", write_disposition="replace")
PY
PEERS=()
if "$PEERPY" -c "import connectorx, deltalake" 2>/dev/null; then
    echo "== connectorx + deltalake"
    PEERS+=("$(timed cx+deltalake "$PEERPY" "$WORK/cx_delta.py" || echo "cx+deltalake - -")")
    PEERS+=("$(timed cx+pyarrow-zstd "$PEERPY" "$WORK/cx_parquet.py" || echo "cx+pyarrow-zstd - -")")
    CX_PARQUET_SIZE=$(stat -c %s "$WORK/cx.parquet" 2>/dev/null || echo 0)
fi
if "$PEERPY" -c "import dlt, connectorx, sqlalchemy, psycopg2" 2>/dev/null; then
    echo "== dlt sql_database (connectorx backend) -> delta"
    export RUNTIME__DLTHUB_TELEMETRY=false
    PEERS+=("$(timed dlt-delta "$PEERPY" "$WORK/dlt_delta.py" || echo "dlt-delta - -")")
fi

read -r _ FLOOR_T _ <<<"$FLOOR"
echo
printf "%-18s %9s %8s %9s\n" "run" "seconds" "x floor" "peak RSS"
for line in "$FLOOR" "$FERRY_R" "${PEERS[@]}"; do
    read -r name t rss <<<"$line"
    ratio=$([ "$t" = "-" ] && echo "-" || python3 -c "print(f'{$t/$FLOOR_T:.2f}')")
    printf "%-18s %9s %8s %7s MiB\n" "$name" "$t" "$ratio" "$rss"
done
echo
echo "ferry Delta table:   $FERRY_ROWS rows read back by deltalake (source $ROWS), $((FERRY_SIZE / 1048576)) MiB on disk"
[ -n "${CX_PARQUET_SIZE:-}" ] && echo "pyarrow zstd file:   $((CX_PARQUET_SIZE / 1048576)) MiB"
echo "machine:             $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
