#!/usr/bin/env bash
# The README's first command: installs what building Ferry needs (scripts/bootstrap.sh --build), builds `ferry`,
# then runs `ferry quickstart` (a demo SQLite shop replicated into a local Delta lake) in the current directory.
# Arguments go to the quickstart, e.g. `scripts/quickstart.sh --dir /tmp/shop`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$repo/scripts/bootstrap.sh" --build
swift build --package-path "$repo" --product ferry
exec "$repo/.build/debug/ferry" quickstart "$@"
