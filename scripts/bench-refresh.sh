#!/usr/bin/env bash
# Benchmark: Ferry's PG->PG full_replace (staging_swap) against the plain-tools floor, in one run, on one server.
#
#   scripts/bench-refresh.sh [ROWS]        (default 5,000,000)
#
# Starts a throwaway PostgreSQL cluster (initdb in a temp dir, a free port), generates a mixed-type table `orders`
# (bigint key, int, text, numeric(12,2), two timestamptz, boolean, text with NULLs, uuid, jsonb, double; a primary
# key and one secondary index), then measures:
#   floor: psql COPY orders TO STDOUT (FORMAT binary) | psql COPY orders_copy FROM STDIN (FORMAT binary),
#          followed by building the same primary key and index;
#   ferry: ferry run (release build) with sync_mode full_replace, strategy staging_swap, into a second database.
# Prints both times, the ratio, Ferry's peak RSS, and checks both copies hold the source's rows.
set -euo pipefail
ROWS="${1:-5000000}"
cd "$(dirname "$0")/.."
ROOT="$PWD"
scripts/bootstrap.sh >/dev/null

source scripts/bench-common.sh
bench_build
bench_start_cluster "-c shared_buffers=512MB -c max_wal_size=4GB -c wal_level=logical -c fsync=off -c synchronous_commit=off"
trap bench_cleanup EXIT

"${PSQL[@]}" -d postgres -c "CREATE DATABASE src" -c "CREATE DATABASE floor" -c "CREATE DATABASE dst"

bench_orders src "$ROWS"
"${PSQL[@]}" -d src -c "CREATE INDEX orders_customer ON orders (customer_id)"
"${PSQL[@]}" -d floor -c "$(bench_orders_ddl "NOT NULL")"

echo "== floor: binary COPY pipe + index build"
t0=$(date +%s.%N)
"${PSQL[@]}" -d src -c "COPY orders TO STDOUT (FORMAT binary)" | "${PSQL[@]}" -d floor -c "COPY orders FROM STDIN (FORMAT binary)"
"${PSQL[@]}" -d floor -c "ALTER TABLE orders ADD PRIMARY KEY (id)" -c "CREATE INDEX orders_customer ON orders (customer_id)"
t1=$(date +%s.%N)
FLOOR=$(python3 -c "print(f'{$t1-$t0:.2f}')")

cat > "$WORK/ferry.yaml" <<YAML
databases:
  source: {type: postgres, host: 127.0.0.1, port: $PORT, database: src}
  target: {type: postgres, host: 127.0.0.1, port: $PORT, database: dst}
state: {path: $WORK/state.db}
tables:
  - {name: public.orders, sync_mode: full_replace, strategy: staging_swap, batch_size: 10000}
settings: {workers: 1, confirm: false}
YAML

echo "== ferry: full_replace staging_swap"
export SOURCE_DB_USER=bench TARGET_DB_USER=bench
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss" "$FERRY" run --config "$WORK/ferry.yaml" >/dev/null
t1=$(date +%s.%N)
FERRY_T=$(python3 -c "print(f'{$t1-$t0:.2f}')")
RSS_KB=$(cat "$WORK/rss")

SRC=$("${PSQL[@]}" -d src -At -c "SELECT count(*) FROM orders")
A=$("${PSQL[@]}" -d floor -At -c "SELECT count(*) FROM orders")
B=$("${PSQL[@]}" -d dst -At -c "SELECT count(*) FROM orders")
SUMS=$("${PSQL[@]}" -d src -At -c "SELECT md5(string_agg(md5(o::text), '' ORDER BY id)) FROM orders o")
SUMD=$("${PSQL[@]}" -d dst -At -c "SELECT md5(string_agg(md5(o::text), '' ORDER BY id)) FROM orders o")

echo
echo "rows:              source $SRC, floor copy $A, ferry copy $B, ferry contents identical: $([ "$SUMS" = "$SUMD" ] && echo yes || echo NO)"
echo "floor (COPY pipe): ${FLOOR} s"
echo "ferry:             ${FERRY_T} s"
echo "ratio ferry/floor: $(python3 -c "print(f'{$FERRY_T/$FLOOR:.2f}')")"
echo "ferry peak RSS:    $((RSS_KB / 1024)) MiB"
echo "machine:           $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
