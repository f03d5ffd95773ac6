#!/usr/bin/env bash
# Ferry's whole test suite: installs prerequisites, builds the `ferry` binary (the CLI tests run it), runs every test.
# The suite starts its own throwaway PostgreSQL cluster (initdb in a temp dir, a free port, wal_level=logical) and
# stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build --product ferry
swift test "$@"
