#!/usr/bin/env bash
# The benchmark, in one command (see docs/BENCHMARKS.md):
#
#   bench/run.sh [--scale 1k|100k|1m] [--duration S] [more bench/bench.py options]
#
# Builds the Release server and the seeder (mr_seed) into $BUILD_DIR (default
# build-bench/), seeds a database of the chosen scale once (cached in
# bench/.data/), starts the real server on 127.0.0.1 and runs wrk for every
# scenario at 1, 8, 32 and 64 connections, S seconds each (default 5, at most
# 10). Prints a Markdown table and writes it to bench/results/<scale>-<date>.md.
# Needs: cmake, ninja, a C++17 compiler, wrk, python3 (standard library only).
#
#   bench/run.sh --postgres [--database-url URL] [...]
#
# runs every scenario against SQLite, PostgreSQL with 1 replica and PostgreSQL
# with 2 replicas in one run (also needs psql, and PostgreSQL's server
# binaries unless URL names a cluster); writes <scale>-<date>-postgres.md.
# JOBS limits the build's parallel jobs (default: ninja's).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO_ROOT/build-bench}"
export BUILD_DIR

for arg in "$@"; do
  [[ $arg == -h || $arg == --help ]] && exec python3 "$REPO_ROOT/bench/bench.py" --help
done

for tool in cmake ninja wrk python3; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is required" >&2; exit 1; }
done

cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMR_BUILD_BENCH=ON >/dev/null
ninja ${JOBS:+-j "$JOBS"} -C "$BUILD_DIR" model-registry mr_seed >/dev/null

exec python3 "$REPO_ROOT/bench/bench.py" --build-dir "$BUILD_DIR" "$@"
