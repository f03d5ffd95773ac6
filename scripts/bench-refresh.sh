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

echo "== building ferry (release)"
swift build -c release --product ferry 2>&1 | tail -1
FERRY="$ROOT/.build/release/ferry"

PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
WORK="$(mktemp -d /tmp/ferry-bench.XXXXXX)"
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd -r -m postgres
    chown postgres "$WORK"
    RUNAS=(runuser -u postgres --)
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"${RUNAS[@]}" "$PGBIN/initdb" -D "$WORK/data" -A trust -U bench >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w -o \
    "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK -c shared_buffers=512MB -c max_wal_size=4GB -c wal_level=logical -c fsync=off -c synchronous_commit=off" start >/dev/null
cleanup() { "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U bench)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE src" -c "CREATE DATABASE floor" -c "CREATE DATABASE dst"

echo "== generating $ROWS rows"
"${PSQL[@]}" -d src <<SQL
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, paid boolean NOT NULL, note text,
    ref uuid NOT NULL, attrs jsonb, score double precision);
INSERT INTO orders
SELECT i, ((i * 7919) % 100000)::int, (ARRAY['new','paid','shipped','delivered','cancelled'])[1 + i % 5],
       ((i * 37) % 1000000) / 100.0, '2020-01-01'::timestamptz + i * interval '17 seconds',
       '2020-01-01'::timestamptz + i * interval '23 seconds', i % 3 = 0,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || md5(i::text) END,
       md5(i::text)::uuid, CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('k', i % 100, 'tag', 't' || (i % 7)) END,
       (i % 1000) / 7.0
FROM generate_series(1::bigint, $ROWS::bigint) AS i;
CREATE INDEX orders_customer ON orders (customer_id);
VACUUM ANALYZE orders;
SQL
"${PSQL[@]}" -d floor <<'SQL'
CREATE TABLE orders (
    id bigint NOT NULL, customer_id int NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, paid boolean NOT NULL, note text,
    ref uuid NOT NULL, attrs jsonb, score double precision);
SQL

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
