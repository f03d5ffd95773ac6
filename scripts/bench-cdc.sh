#!/usr/bin/env bash
# Benchmark: Ferry CDC (PostgreSQL logical replication -> Delta) against PostgreSQL's own logical replication (a
# subscription into a second database: the physical anchor), in one run.
#
#   scripts/bench-cdc.sh [ROWS] [BACKLOG_CHANGES] [STEADY_SECONDS]      (default 5,000,000 2,000,000 60)
#
# 1. The `orders` table of the other benchmarks, loaded by Ferry (snapshot) and by the subscription (copy_data).
# 2. Catch-up: both consumers stopped, a backlog of BACKLOG_CHANGES row changes (70% updates, 20% inserts, 10%
#    deletes on uniformly random keys, 100 per transaction) builds up in the slots; then each consumer applies it
#    alone and the script prints changes/s, and checks both targets against the source.
# 3. Steady state: pgbench (single-change transactions, same mix) for STEADY_SECONDS alone, with the subscription
#    following, and with `ferry run --follow` following; prints the source's tps for each, Ferry's end-to-end lag
#    (source commit -> Delta commit, p50/p99 of the oldest transaction of each batch), CPU and peak RSS.
set -euo pipefail
ROWS="${1:-5000000}"
BACKLOG="${2:-2000000}"
STEADY="${3:-60}"
cd "$(dirname "$0")/.."
ROOT="$PWD"
scripts/bootstrap.sh >/dev/null

source scripts/bench-common.sh
bench_build
bench_start_cluster "-c shared_buffers=512MB -c max_wal_size=8GB -c wal_level=logical -c max_wal_senders=10 \
    -c max_replication_slots=10 -c max_worker_processes=16"
FOLLOWER=""
cleanup() {
    [ -n "$FOLLOWER" ] && pkill -KILL -P "$FOLLOWER" 2>/dev/null || true
    bench_cleanup
}
trap cleanup EXIT
q() { "${PSQL[@]}" -At -d "$1" -c "$2"; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2-$1:.2f}')"; }
"${PSQL[@]}" -d postgres -c "CREATE DATABASE src" -c "CREATE DATABASE sub"

bench_orders src "$ROWS"
"${PSQL[@]}" -d src <<SQL
CREATE SEQUENCE orders_new START $((ROWS + 1));
CREATE PUBLICATION native_pub FOR TABLE orders;
SQL
"${PSQL[@]}" -d sub -c "$(bench_orders_ddl)"

cat > "$WORK/ferry.yaml" <<YAML
databases:
  source: {type: postgres, host: 127.0.0.1, port: $PORT, database: src,
           cdc: {slot_name: ferry_slot, publication_name: ferry_pub, batch_max_rows: 250000, batch_max_seconds: 1}}
  target: {type: delta, path: $WORK/lake, compression: zstd}
state: {path: $WORK/state.db}
tables:
  - {name: public.orders, sync_mode: cdc, batch_size: 10000}
settings: {confirm: false}
YAML
export SOURCE_DB_USER=bench

echo "== initial load: ferry (slot snapshot) and the subscription (copy_data)"
t0=$(now)
/usr/bin/time -f "%M" -o "$WORK/rss-load" "$FERRY" run --config "$WORK/ferry.yaml" >/dev/null 2>"$WORK/load.err" \
    || { tail -5 "$WORK/load.err"; exit 1; }
LOAD_FERRY=$(secs "$t0" "$(now)")
t0=$(now)
# In one cluster the subscription cannot create its own slot (it would wait for its own transaction): make it first.
q src "SELECT pg_create_logical_replication_slot('native_sub', 'pgoutput')" >/dev/null
"${PSQL[@]}" -d sub -c "CREATE SUBSCRIPTION native_sub CONNECTION 'host=127.0.0.1 port=$PORT dbname=src user=bench' \
    PUBLICATION native_pub WITH (create_slot = false, slot_name = 'native_sub')"
until [ "$(q sub "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")" = "0" ]; do sleep 0.5; done
LOAD_NATIVE=$(secs "$t0" "$(now)")
# The subscription's copy wrote 5M rows into the other database of this cluster, after Ferry's slot was made: let
# Ferry's slot move past that WAL (as the subscription's did while it synced), so that the catch-up below reads the
# backlog, not another database's bulk load (in production the subscriber is another server).
"${PSQL[@]}" -d src -c "CHECKPOINT" >/dev/null
"$FERRY" run --config "$WORK/ferry.yaml" >/dev/null 2>"$WORK/settle.err" || { tail -5 "$WORK/settle.err"; exit 1; }
"${PSQL[@]}" -d src -c "CHECKPOINT" >/dev/null
"$FERRY" run --config "$WORK/ferry.yaml" >/dev/null 2>>"$WORK/settle.err" || { tail -5 "$WORK/settle.err"; exit 1; }
echo "   slots' restart_lsn: $(q src "SELECT string_agg(slot_name || ' ' || restart_lsn, ', ') FROM pg_replication_slots")"

digest() { q src "SELECT count(*) || ' ' || sum(amount) || ' ' || sum(customer_id) FROM orders"; }
delta_digest() {
    "$PY" - "$WORK/lake/orders" <<'PY'
import sys
from deltalake import DeltaTable, QueryBuilder
# DataFusion applies deletion vectors (to_pyarrow_table refuses tables that have them).
r = QueryBuilder().register("t", DeltaTable(sys.argv[1])).execute(
    "select count(*) as n, sum(amount) as a, sum(customer_id) as c from t").read_all()
import pyarrow as pa
r = pa.table(r).to_pylist()[0]
print(f"{r['n']} {r['a']} {r['c']}")
PY
}
changes() { q src "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relname = 'orders'"; }
wait_native() {  # waits until the subscription's slot confirmed $1
    until [ "$(q src "SELECT coalesce(confirmed_flush_lsn >= '$1'::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = 'native_sub'")" = "t" ]; do
        sleep 0.1
    done
}

echo "== catch-up: building a backlog of $BACKLOG changes with both consumers stopped"
"${PSQL[@]}" -d sub -c "ALTER SUBSCRIPTION native_sub DISABLE"
cat > "$WORK/backlog.sql" <<SQL
UPDATE orders SET amount = amount + 1, updated_at = now()
  WHERE id IN (SELECT 1 + (random() * ($ROWS - 1))::bigint FROM generate_series(1, 70));
INSERT INTO orders SELECT nextval('orders_new'), (random() * 100000)::int, 'new', (random() * 1000)::numeric(12,2),
  now(), now(), false, 'inserted', gen_random_uuid(), NULL, random() FROM generate_series(1, 20);
DELETE FROM orders WHERE id IN (SELECT 1 + (random() * ($ROWS - 1))::bigint FROM generate_series(1, 10));
SQL
before=$(changes)
"$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -U bench -c 2 -j 2 -t $((BACKLOG / 200)) -f "$WORK/backlog.sql" src \
    >"$WORK/backlog.out" 2>&1 || { tail -5 "$WORK/backlog.out"; exit 1; }
sleep 1
MADE=$(( $(changes) - before ))
TARGET_LSN=$(q src "SELECT pg_current_wal_insert_lsn()")
echo "   $MADE row changes committed, WAL at $TARGET_LSN"

# BENCH_PERF=1 records a system-wide profile (Ferry and the walsender) of the catch-up in $WORK/perf.data, and one
# of the follower in $WORK/perf-follow.data (with BENCH_KEEP=1).
PERF=()
[ -n "${BENCH_PERF:-}" ] && PERF=(perf record -a -g -F 499 -o "$WORK/perf.data" --)
t0=$(now)
/usr/bin/time -f "%M %U %S" -o "$WORK/rss-catchup" "${PERF[@]}" "$FERRY" run --log-format json --config "$WORK/ferry.yaml" >/dev/null \
    2>"$WORK/catchup.err" || { tail -5 "$WORK/catchup.err"; exit 1; }
CATCHUP_FERRY=$(secs "$t0" "$(now)")
t0=$(now)
"${PSQL[@]}" -d sub -c "ALTER SUBSCRIPTION native_sub ENABLE"
wait_native "$TARGET_LSN"
CATCHUP_NATIVE=$(secs "$t0" "$(now)")
SRC_DIGEST=$(digest)
FERRY_DIGEST=$(delta_digest)
NATIVE_DIGEST=$(q sub "SELECT count(*) || ' ' || sum(amount) || ' ' || sum(customer_id) FROM orders")

echo "== steady state: pgbench ${STEADY}s alone, with the subscription, with ferry --follow"
cat > "$WORK/steady.sql" <<SQL
\set r random(1, 100)
\set k random(1, $ROWS)
\if :r <= 70
UPDATE orders SET amount = amount + 1, updated_at = now() WHERE id = :k;
\elif :r <= 90
INSERT INTO orders VALUES (nextval('orders_new'), :k % 100000, 'new', 1.00, now(), now(), false, 'steady', gen_random_uuid(), NULL, 0.5);
\else
DELETE FROM orders WHERE id = :k;
\endif
SQL
bench() { "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -U bench -c 4 -j 2 -T "$STEADY" -f "$WORK/steady.sql" src 2>/dev/null \
    | awk '/^tps/ {print int($3)}'; }
"${PSQL[@]}" -d sub -c "ALTER SUBSCRIPTION native_sub DISABLE"
sleep 1
TPS_ALONE=$(bench)
# Each follower first catches up with what the earlier phases left in its slot, so the steady phase measures
# following, not a backlog.
"${PSQL[@]}" -d sub -c "ALTER SUBSCRIPTION native_sub ENABLE"
wait_native "$(q src "SELECT pg_current_wal_insert_lsn()")"
TPS_NATIVE=$(bench)
wait_native "$(q src "SELECT pg_current_wal_insert_lsn()")"
"${PSQL[@]}" -d sub -c "ALTER SUBSCRIPTION native_sub DISABLE"
FROM_LSN=$(q src "SELECT pg_current_wal_insert_lsn()")
FOLLOW_PERF=()
[ -n "${BENCH_PERF:-}" ] && FOLLOW_PERF=(perf record -g -F 499 -o "$WORK/perf-follow.data" --)
/usr/bin/time -f "%M %U %S %e" -o "$WORK/rss-follow" "${FOLLOW_PERF[@]}" "$FERRY" run --follow --log-format json --config "$WORK/ferry.yaml" \
    >/dev/null 2>"$WORK/follow.log" &
FOLLOWER=$!
until [ "$(q src "SELECT coalesce(confirmed_flush_lsn >= '$FROM_LSN'::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = 'ferry_slot'")" = "t" ]; do
    sleep 0.5
done
STEADY_FROM=$(date -u +%Y-%m-%dT%H:%M:%SZ)
TPS_FERRY=$(bench)
sleep 3
pkill -TERM -P "$FOLLOWER"   # ferry itself, not /usr/bin/time around it
wait "$FOLLOWER" || true
FOLLOWER=""
LAG=$(python3 - "$WORK/follow.log" "$STEADY_FROM" <<'PY'
import json, sys
lags = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("ts", "") <= sys.argv[2]:
        continue  # batches of the backlog caught up before the steady phase (the last one can share its second)
    m = o.get("metadata", o)
    if "batch applied" in json.dumps(o) and m.get("max_lag_ms", "-") != "-":
        lags.append(float(m["max_lag_ms"]))
lags.sort()
if not lags:
    print("- - 0")
else:
    print(f"{lags[len(lags)//2]:.0f} {lags[min(len(lags)-1, int(len(lags)*0.99))]:.0f} {len(lags)}")
PY
)
read -r LAG50 LAG99 NBATCH <<<"$LAG"
read -r F_RSS F_USER F_SYS F_ELAPSED <"$WORK/rss-follow"
FERRY_CPU=$(python3 -c "print(f'{($F_USER+$F_SYS)/$F_ELAPSED:.2f}')")
read -r C_RSS _ _ <"$WORK/rss-catchup"

rate() { python3 -c "print(f'{$1/$2:,.0f}')"; }
echo
echo "initial load ($ROWS rows):   ferry $LOAD_FERRY s (peak RSS $(( $(tail -1 "$WORK/rss-load") / 1024 )) MiB), subscription copy $LOAD_NATIVE s"
echo "catch-up ($MADE changes):"
echo "   ferry -> Delta:          $CATCHUP_FERRY s, $(rate "$MADE" "$CATCHUP_FERRY") changes/s, peak RSS $((C_RSS / 1024)) MiB"
echo "   subscription -> PG:      $CATCHUP_NATIVE s, $(rate "$MADE" "$CATCHUP_NATIVE") changes/s"
echo "   ratio ferry/native:      $(python3 -c "print(f'{$CATCHUP_NATIVE/$CATCHUP_FERRY:.2f}x')")"
echo "   source    $SRC_DIGEST"
echo "   delta     $FERRY_DIGEST   $([ "$SRC_DIGEST" = "$FERRY_DIGEST" ] && echo equal || echo DIFFERENT)"
echo "   native    $NATIVE_DIGEST   $([ "$SRC_DIGEST" = "$NATIVE_DIGEST" ] && echo equal || echo DIFFERENT)"
echo "steady state (pgbench -c 4, ${STEADY}s, tps = row changes/s):"
echo "   alone:                   $TPS_ALONE tps"
echo "   with subscription:       $TPS_NATIVE tps"
echo "   with ferry --follow:     $TPS_FERRY tps; lag p50 ${LAG50} ms, p99 ${LAG99} ms over $NBATCH batches;"
echo "                            ferry CPU $FERRY_CPU cores, peak RSS $((F_RSS / 1024)) MiB"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
