#!/usr/bin/env bash
# Installs the Debian 12 packages model-registry needs, and only the missing ones,
# so a second run on a prepared machine is a few dpkg-query calls and no network.
#
# Usage:
#   scripts/install-deps.sh                     build + run dependencies
#   scripts/install-deps.sh --with-test-tools   also clang, sanitizer runtimes, clang-format, wrk,
#                                               chromium
#   scripts/install-deps.sh --runtime-only      only the shared libraries the binary loads (Docker)
#   scripts/install-deps.sh --list [SET]        print a package set (build|test|runtime) and exit
#   scripts/install-deps.sh --python-venv DIR   additionally create/refresh a Python venv in DIR
#                                               with tests/requirements.txt (see setup-venv.sh)
#
# Environment:
#   MR_SKIP_DEPS=1   skip the apt part entirely (for non-Debian machines that provide
#                    the same libraries some other way)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR

# Everything needed to configure, build and run the server and the helper scripts.
readonly BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost1.74-dev libcpp-httplib-dev libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev catch2
  sqlite3 python3 python3-venv curl
  zlib1g-dev
  libpq-dev  # the PostgreSQL backend (src/postgres)
  libssl-dev # HTTPS (src/http/tls.cpp) and token digests (src/http/auth.cpp)
)
# Only needed by the test suites and developer tooling (sanitizers, libFuzzer, formatting, load).
readonly TEST_PACKAGES=(
  clang libclang-rt-14-dev clang-format wrk
  chromium fonts-dejavu-core  # the web UI's browser tests (tests/ui) and their screenshots
  openssl                     # test certificates (test_tls.py, test_cli_client.py, conformance)
  postgresql-15               # the throw-away test cluster (scripts/pg-test-cluster.sh)
)
# What the release binary loads at run time. libSQLiteCpp is linked statically on Debian 12
# (there is no runtime package for it); CLI11 and nlohmann-json are header-only.
# curl is here for the container HEALTHCHECK.
readonly RUNTIME_PACKAGES=(libcpp-httplib0.11 libsqlite3-0 libpq5 libssl3 libstdc++6 libgcc-s1 zlib1g curl)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

die() {
  echo "install-deps: $*" >&2
  exit 1
}

print_set() {
  case "$1" in
    build) printf '%s\n' "${BUILD_PACKAGES[@]}" ;;
    test) printf '%s\n' "${TEST_PACKAGES[@]}" ;;
    runtime) printf '%s\n' "${RUNTIME_PACKAGES[@]}" ;;
    all) printf '%s\n' "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" ;;
    *) die "unknown package set '$1' (expected build, test, runtime or all)" ;;
  esac
}

# True when at least one architecture of the package is fully installed.
is_installed() {
  local statuses
  statuses="$(dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null)" || return 1
  grep -qx 'installed' <<<"$statuses"
}

with_test_tools=0
runtime_only=0
venv_dir=""
while (($# > 0)); do
  case "$1" in
    --with-test-tools) with_test_tools=1 ;;
    --runtime-only) runtime_only=1 ;;
    --python-venv)
      (($# >= 2)) || die "--python-venv needs a directory"
      venv_dir="$2"
      shift
      ;;
    --python-venv=*) venv_dir="${1#*=}" ;;
    --list)
      print_set "${2:-all}"
      exit 0
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

if ((runtime_only)); then
  wanted=("${RUNTIME_PACKAGES[@]}")
else
  wanted=("${BUILD_PACKAGES[@]}")
  if ((with_test_tools)); then
    wanted+=("${TEST_PACKAGES[@]}")
  fi
fi

if [[ "${MR_SKIP_DEPS:-0}" == "1" ]]; then
  echo "install-deps: MR_SKIP_DEPS=1, not checking system packages"
elif ! command -v dpkg-query >/dev/null 2>&1; then
  die "this is not a Debian-based system; install the equivalents of: ${wanted[*]}
(or set MR_SKIP_DEPS=1 if they are already available)"
else
  missing=()
  for pkg in "${wanted[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done

  if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#wanted[@]} packages already installed"
  elif ((EUID == 0)); then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    for pkg in "${missing[@]}"; do
      is_installed "$pkg" || die "package '$pkg' is still not installed after apt-get"
    done
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "Run this (or re-run the script as root):" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ -n "$venv_dir" ]]; then
  "$SCRIPT_DIR/setup-venv.sh" "$venv_dir"
fi
