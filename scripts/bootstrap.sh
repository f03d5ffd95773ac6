#!/usr/bin/env bash
# Installs what building and testing Ferry needs on a Debian machine; does nothing for what is already there.
# Build: libpq-dev (PostgreSQL client library), libsqlite3-dev, pkg-config.
# Build: also libzstd-dev, libsnappy-dev, zlib1g-dev (Parquet codecs).
# Tests: a PostgreSQL server (the suite starts its own throwaway cluster); pyarrow and deltalake, the independent
# readers that check every Parquet file and Delta table Ferry writes.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(time pkg-config libpq-dev libsqlite3-dev postgresql libzstd-dev libsnappy-dev zlib1g-dev python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian package starts a cluster of its own on install; the tests never use it.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
    $SUDO pg_ctlcluster "$(pg_lsclusters -h | awk 'NR==1{print $1}')" main stop 2>/dev/null || true
fi
if ! python3 -c "import pyarrow, deltalake" >/dev/null 2>&1; then
    echo "bootstrap: installing pyarrow and deltalake"
    python3 -m pip install -q pyarrow deltalake 2>&1 | grep -v "Running pip as the 'root' user" || true
    python3 -c "import pyarrow, deltalake"
fi
echo "bootstrap: ok"
