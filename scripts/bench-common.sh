# Shared by the benchmark scripts (sourced, not run): the release build, a throwaway PostgreSQL cluster, and the
# 5-million-row `orders` table every benchmark measures on.

# The test readers' Python (pyarrow, deltalake at the versions the tests pin), which scripts/bootstrap.sh creates.
PY="$ROOT/.venv/bin/python"

# Builds the release binary; sets FERRY.
bench_build() {
    echo "== building ferry (release)"
    swift build -c release --product ferry 2>&1 | tail -1
    FERRY="$ROOT/.build/release/ferry"
}

# Starts a cluster with the server options "$1" in a fresh temp dir; sets PGBIN, WORK, RUNAS, PORT and PSQL.
# The caller traps EXIT to bench_cleanup (or to its own function that calls it).
bench_start_cluster() {
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    WORK="$(mktemp -d /tmp/ferry-bench.XXXXXX)"
    chmod 755 "$WORK"
    RUNAS=()
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd -r -m postgres
        chown postgres "$WORK"
        RUNAS=(runuser -u postgres --)
    fi
    PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "${RUNAS[@]}" "$PGBIN/initdb" -D "$WORK/data" -A trust -U bench >/dev/null
    "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w -o \
        "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK $1" start >/dev/null
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U bench)
}

# Stops the cluster and removes its directory (kept, and printed, when BENCH_KEEP is set).
bench_cleanup() {
    "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
    if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}

# The columns of `orders`; "$1" is the id column's constraint (PRIMARY KEY, or NOT NULL for a bare copy target).
bench_orders_ddl() {
    echo "CREATE TABLE orders (
    id bigint ${1:-PRIMARY KEY}, customer_id int NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, paid boolean NOT NULL, note text,
    ref uuid NOT NULL, attrs jsonb, score double precision);"
}

# Creates and fills `orders` with "$2" rows in database "$1" (NULLs, unicode-free text, decimals, uuids, jsonb).
bench_orders() {
    echo "== generating $2 rows"
    "${PSQL[@]}" -d "$1" <<SQL
$(bench_orders_ddl)
INSERT INTO orders
SELECT i, ((i * 7919) % 100000)::int, (ARRAY['new','paid','shipped','delivered','cancelled'])[1 + i % 5],
       ((i * 37) % 1000000) / 100.0, '2020-01-01'::timestamptz + i * interval '17 seconds',
       '2020-01-01'::timestamptz + i * interval '23 seconds', i % 3 = 0,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || md5(i::text) END,
       md5(i::text)::uuid, CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('k', i % 100, 'tag', 't' || (i % 7)) END,
       (i % 1000) / 7.0
FROM generate_series(1::bigint, $2::bigint) AS i;
VACUUM ANALYZE orders;
SQL
}
