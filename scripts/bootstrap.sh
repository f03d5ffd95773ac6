#!/usr/bin/env bash
# Installs what building and testing Ferry needs on a Debian machine; does nothing for what is already there.
#
#   scripts/bootstrap.sh           build and test prerequisites
#   scripts/bootstrap.sh --build   only what `swift build` needs (the quickstart uses this)
#
# Build: pkg-config, libpq-dev (PostgreSQL client), libsqlite3-dev, libzstd-dev, libsnappy-dev, zlib1g-dev (Parquet
# codecs). Tests: a PostgreSQL server (the suite starts its own throwaway cluster, never the package's), and a Python
# virtual environment in .venv with the pinned independent readers of scripts/requirements-test.txt (Debian's Python
# refuses `pip install` into the system interpreter, PEP 668). Every failure stops the script with its cause.
set -euo pipefail
cd "$(dirname "$0")/.."

only_build=0
case "${1:-}" in
    --build) only_build=1 ;;
    "") ;;
    *) echo "bootstrap: unknown option $1 (use --build or nothing)" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(pkg-config libpq-dev libsqlite3-dev libzstd-dev libsnappy-dev zlib1g-dev)
if [ "$only_build" -eq 0 ]; then packages+=(time postgresql python3 python3-venv); fi

missing=()
# Installed means "install ok installed": `dpkg -s` also succeeds for a package removed but not purged.
for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
# The metapackage can be there without a server (its postgresql-<version> removed).
if [ "$only_build" -eq 0 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    && [[ " ${missing[*]-} " != *" postgresql "* ]]; then
    missing+=(postgresql)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
        exit 1
    fi
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        echo "bootstrap: missing ${missing[*]}; run this as root or install sudo" >&2
        exit 1
    fi
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$only_build" -eq 1 ]; then
    echo "bootstrap: build prerequisites ok"
    exit 0
fi

# The Debian package starts a cluster of its own on install; the tests never use it.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
    pg_lsclusters -h | awk '$4 == "online" {print $1, $2}' | while read -r version name; do
        $SUDO pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    done
fi

# The readers live in a virtual environment of the checkout, rebuilt when the pinned requirements change.
venv=.venv
stamp="$venv/.requirements"
if ! cmp -s scripts/requirements-test.txt "$stamp" 2>/dev/null || ! "$venv/bin/python" -c "import pyarrow, deltalake" 2>/dev/null; then
    echo "bootstrap: creating $venv with $(grep -v '^#' scripts/requirements-test.txt | xargs)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
    "$venv/bin/python" -c "import pyarrow, deltalake"
    cp scripts/requirements-test.txt "$stamp"
fi
echo "bootstrap: ok"
