#!/usr/bin/env bash
# Builds model-registry (installing missing Debian packages first) and starts the server
# with an embedded SQLite database file.
#
# Usage: scripts/run.sh [extra `model-registry serve` arguments]
#   e.g. scripts/run.sh --port 9090
#
# Without arguments the server listens on the binary's defaults (port 8080, see README)
# and stores its data in ./model-registry.db (or $MR_DB_FILE).
# Environment:
#   BUILD_DIR   build directory (default: build)
#   JOBS        parallel compile jobs (default: number of CPUs)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
readonly SCRIPT_DIR REPO_ROOT

"$SCRIPT_DIR/install-deps.sh"
"$SCRIPT_DIR/build.sh" --no-tests --target model-registry

build_dir="${BUILD_DIR:-build}"
[[ "$build_dir" == /* ]] || build_dir="$REPO_ROOT/$build_dir"
binary="$build_dir/model-registry"
[[ -x "$binary" ]] || {
  echo "run: $binary was not built" >&2
  exit 1
}

# Respect a --db-file the caller passed; giving the option twice would be an error.
db_args=(--db-file "${MR_DB_FILE:-model-registry.db}")
for arg in "$@"; do
  case "$arg" in
    --db-file | --db-file=*) db_args=() ;;
  esac
done

echo "run: starting $binary serve ${db_args[*]} $*"
exec "$binary" serve "${db_args[@]}" "$@"
