#!/usr/bin/env bash
# Configures and builds model-registry with CMake. run.sh, test.sh and the Dockerfile all
# build through this script, so there is one build recipe to keep working.
#
# Usage: scripts/build.sh [options] [-DVAR=VALUE ...]
#   --asan             ASan + UBSan build (MR_SANITIZE=ON) in $ASAN_BUILD_DIR
#   --no-tests         skip the Catch2 unit tests (MR_BUILD_TESTS=OFF)
#   --build-dir DIR    build directory (default: $BUILD_DIR, or $ASAN_BUILD_DIR with --asan)
#   --type TYPE        CMAKE_BUILD_TYPE (default: Release; Debug with --asan)
#   --target NAME      build only this target (may be repeated)
#   -DVAR=VALUE        passed to the CMake configure step
#
# Relative directories are taken relative to the repository root.
# Environment:
#   BUILD_DIR       default: build
#   ASAN_BUILD_DIR  default: build-asan
#   JOBS            parallel compile jobs (default: number of CPUs)
#   CC, CXX         compilers, honoured when a build directory is first configured
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
readonly SCRIPT_DIR REPO_ROOT

die() {
  echo "build: $*" >&2
  exit 1
}

sanitize=OFF
tests=ON
build_dir=""
build_type=""
targets=()
cmake_defines=()
while (($# > 0)); do
  case "$1" in
    --asan) sanitize=ON ;;
    --no-tests) tests=OFF ;;
    --build-dir)
      (($# >= 2)) || die "--build-dir needs a directory"
      build_dir="$2"
      shift
      ;;
    --type)
      (($# >= 2)) || die "--type needs a CMake build type"
      build_type="$2"
      shift
      ;;
    --target)
      (($# >= 2)) || die "--target needs a target name"
      targets+=(--target "$2")
      shift
      ;;
    -D*) cmake_defines+=("$1") ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

if [[ -z "$build_dir" ]]; then
  if [[ "$sanitize" == ON ]]; then
    build_dir="${ASAN_BUILD_DIR:-build-asan}"
  else
    build_dir="${BUILD_DIR:-build}"
  fi
fi
if [[ -z "$build_type" ]]; then
  # Sanitizer builds use Debug: line numbers in reports, assert() enabled, and -O0 compiles
  # several times faster than -O2 under ASan (the tests are I/O-bound, not CPU-bound).
  if [[ "$sanitize" == ON ]]; then build_type=Debug; else build_type=Release; fi
fi
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

cd "$REPO_ROOT"

generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
  # An existing build directory keeps whatever generator it was made with;
  # asking for a different one would make CMake refuse to configure.
  generator=(-G Ninja)
fi

echo "build: configuring $build_dir (type=$build_type, sanitize=$sanitize, tests=$tests)"
cmake -S . -B "$build_dir" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE="$build_type" \
  -DMR_SANITIZE="$sanitize" \
  -DMR_BUILD_TESTS="$tests" \
  "${cmake_defines[@]}"

echo "build: compiling in $build_dir with $jobs jobs"
cmake --build "$build_dir" --parallel "$jobs" "${targets[@]}"
echo "build: done: $(cd "$build_dir" && pwd)"
