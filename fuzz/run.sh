#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/*_fuzzer.cpp) with clang, ASan and UBSan, runs each one
# from its seed corpus (fuzz/corpus/<name without _fuzzer>/) and reports executions and crashes.
#
# Usage: fuzz/run.sh [--ci | --long] [--no-build] [FUZZER_NAME ...]
#   --ci         each target for FUZZ_SECONDS seconds (default 60); the default mode
#   --long       each target for FUZZ_RUNS executions (default 10000000), no time limit
#   --no-build   reuse the existing build (fails if a target is missing)
#   FUZZER_NAME  run only these targets, e.g. request_body_fuzzer (default: all)
#
# Targets run side by side, at most FUZZ_JOBS at once (default: the number of CPUs). The
# seed corpus is copied to a scratch directory first, so new inputs never land in the repo.
# A crash, leak, sanitizer report, timeout or out-of-memory stops that target; its input is
# kept in $FUZZ_OUT/<target>/ and the script exits 1. Exit 0 means every target ran its full
# budget without a finding.
#
# Environment:
#   FUZZ_BUILD_DIR   build directory (default: build-fuzz in the repository root)
#   FUZZ_OUT         where logs, scratch corpora and crash inputs go (default: a temp dir,
#                    removed afterwards unless something was found)
#   FUZZ_SECONDS     --ci time per target (default 60)
#   FUZZ_RUNS        --long executions per target (default 10000000)
#   FUZZ_JOBS        targets run at once (default: nproc)
#   JOBS             compile jobs (default: nproc)
#   CC, CXX          compilers (default: clang, clang++)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
readonly SCRIPT_DIR REPO_ROOT

die() {
  echo "fuzz: $*" >&2
  exit 2
}

mode=ci
build=yes
selected=()
while (($# > 0)); do
  case "$1" in
    --ci) mode=ci ;;
    --long) mode=long ;;
    --no-build) build=no ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *) selected+=("$1") ;;
  esac
  shift
done

build_dir="${FUZZ_BUILD_DIR:-$REPO_ROOT/build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
runs="${FUZZ_RUNS:-10000000}"
cpus="$(nproc 2>/dev/null || echo 2)"
fuzz_jobs="${FUZZ_JOBS:-$cpus}"
jobs="${JOBS:-$cpus}"

# ---- build ---------------------------------------------------------------------------------
if [[ "$build" == yes ]]; then
  export CC="${CC:-clang}" CXX="${CXX:-clang++}"
  command -v "$CXX" >/dev/null || die "$CXX not found (apt-get install clang libclang-rt-14-dev)"
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S "$REPO_ROOT" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMR_FUZZ=ON -DMR_SANITIZE=ON -DMR_BUILD_TESTS=OFF >/dev/null
  fi
  targets=()
  for src in "$SCRIPT_DIR"/*_fuzzer.cpp; do
    targets+=(--target "$(basename "$src" .cpp)")
  done
  echo "fuzz: building ${#targets[@]} target(s) in $build_dir"
  cmake --build "$build_dir" --parallel "$jobs" "${targets[@]}"
fi

if ((${#selected[@]} == 0)); then
  for src in "$SCRIPT_DIR"/*_fuzzer.cpp; do selected+=("$(basename "$src" .cpp)"); done
fi
((${#selected[@]} > 0)) || die "no fuzz/*_fuzzer.cpp targets"

# ---- run -----------------------------------------------------------------------------------
keep_out=no
if [[ -n "${FUZZ_OUT:-}" ]]; then
  out="$FUZZ_OUT"
  mkdir -p "$out"
  keep_out=yes
else
  out="$(mktemp -d "${TMPDIR:-/tmp}/mr-fuzz.XXXXXX")"
fi
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ "$keep_out" == yes ]] || rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "$mode" == ci ]]; then
  budget=(-max_total_time="$seconds")
  echo "fuzz: CI mode, ${seconds}s per target, up to $fuzz_jobs at once"
else
  budget=(-runs="$runs")
  echo "fuzz: long mode, $runs executions per target, up to $fuzz_jobs at once"
fi

run_one() {
  local name="$1" dir="$out/$1"
  local binary="$build_dir/$name" seeds="$SCRIPT_DIR/corpus/${name%_fuzzer}"
  mkdir -p "$dir/corpus"
  if [[ ! -x "$binary" ]]; then
    echo "fuzz: $binary was not built" >"$dir/log"
    echo 2 >"$dir/rc"
    return
  fi
  [[ -d "$seeds" ]] && cp -r "$seeds"/. "$dir/corpus/"
  local rc=0
  # -timeout: one input running for 10 s is a finding (a hang), not a slow machine.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$binary" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
}

for name in "${selected[@]}"; do
  while (($(jobs -rp | wc -l) >= fuzz_jobs)); do wait -n || true; done
  run_one "$name" &
  pids+=($!)
done
wait || true
pids=()

failed=0
printf '%-24s %-8s %14s %10s  %s\n' target result executions seconds notes
for name in "${selected[@]}"; do
  dir="$out/$name"
  rc="$(cat "$dir/rc" 2>/dev/null || echo 2)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n1)"
  took="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$dir/log" | tail -n1)"
  findings=("$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*)
  found=()
  for f in "${findings[@]}"; do [[ -e "$f" && "$(basename "$f")" != slow-unit-* ]] && found+=("$f"); done
  if [[ "$rc" == 0 && ${#found[@]} == 0 ]]; then
    result=ok
    notes="$(find "$dir/corpus" -type f | wc -l) corpus inputs"
  else
    result=FAILED
    failed=1
    keep_out=yes
    notes="exit $rc; log $dir/log"
    ((${#found[@]} == 0)) || notes+="; input ${found[0]}"
  fi
  printf '%-24s %-8s %14s %10s  %s\n' "$name" "$result" "${execs:-?}" "${took:-?}" "$notes"
  if [[ "$result" == FAILED ]]; then
    echo "---- last lines of $dir/log"
    tail -n 60 "$dir/log"
    if ((${#found[@]} > 0)); then
      # The input itself, so a CI log alone is enough to reproduce the finding.
      echo "---- base64 of $(basename "${found[0]}") (first 4 KiB)"
      head -c 4096 "${found[0]}" | base64
    fi
  fi
done

if ((failed)); then
  echo "fuzz: FAILED (inputs and logs kept in $out)"
  exit 1
fi
echo "fuzz: all targets ran without a finding"
