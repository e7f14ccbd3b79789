#!/usr/bin/env bash
# Runs every test suite of the project: formatting, the unit tests (Catch2 via ctest), the
# black-box HTTP tests and the official-client conformance tests (pytest; one suite per client
# generation), once against the release binary and once against an ASan+UBSan binary, the Docker
# recipe check, and the optional extra suites tests/schemathesis/run.sh and fuzz/run.sh --ci when
# they exist. On PostgreSQL (a throw-away cluster, scripts/pg-test-cluster.sh): the postgres
# suite (contract tests, part of tests/integration, the replica tests), both conformance suites
# and schemathesis. Missing Debian packages are installed first (as root) and the Python venvs
# are created.
#
# Usage: scripts/test.sh [--no-asan]
#   --no-asan   skip the sanitizer build and its suites (they are reported as skipped)
#
# Each suite runs under a time limit and the script carries on after a failure. It ends with
# a per-suite table and then, as its very last line, "N passed, N failed" (", N skipped" is
# appended when suites were skipped), counting suites. The exit status is 0 only when no suite
# failed.
#
# Environment:
#   BUILD_DIR       release build directory (default: build)
#   ASAN_BUILD_DIR  sanitizer build directory (default: build-asan)
#   VENV_DIR        Python virtual environment (default: .venv): test tools and the v1alpha3
#                   client generation (tests/requirements.txt)
#   VENV_V1_DIR     Python virtual environment of the v1 client generation, kubeflow[hub] and kfp
#                   (default: .venv-v1, from tests/requirements-v1.txt)
#   UI_VENV_DIR     Python virtual environment of the browser suite (default: .venv-ui)
#   MANIFESTS_VENV_DIR  Python virtual environment of the manifests suite (default: .venv-manifests)
#   JOBS            parallel compile jobs (default: number of CPUs)
#   MR_ASAN_OPTIONS, MR_UBSAN_OPTIONS   override the sanitizer options used for the ASan runs
#
# Contract for the extra suites (tests/schemathesis/run.sh, fuzz/run.sh): they run from the
# repository root with the venv's bin/ first on PATH and these variables exported:
#   MR_BINARY (release binary), MR_ASAN_BINARY, MR_BUILD_DIR, MR_ASAN_BUILD_DIR, VIRTUAL_ENV,
#   JOBS, and REPO_ROOT. They must exit non-zero on failure and finish well within 20 minutes.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
SELF="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
readonly SCRIPT_DIR REPO_ROOT SELF

absolute() {
  if [[ "$1" == /* ]]; then echo "$1"; else echo "$REPO_ROOT/$1"; fi
}

BUILD_DIR="$(absolute "${BUILD_DIR:-build}")"
ASAN_BUILD_DIR="$(absolute "${ASAN_BUILD_DIR:-build-asan}")"
VENV_DIR="$(absolute "${VENV_DIR:-.venv}")"
VENV_V1_DIR="$(absolute "${VENV_V1_DIR:-.venv-v1}")"
UI_VENV_DIR="$(absolute "${UI_VENV_DIR:-.venv-ui}")"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
export BUILD_DIR ASAN_BUILD_DIR VENV_DIR VENV_V1_DIR UI_VENV_DIR JOBS

# Leak checking on, and any report ends the process, so a sanitizer finding cannot pass quietly.
ASAN_OPTIONS_FOR_TESTS="${MR_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:check_initialization_order=1:strict_init_order=1}"
UBSAN_OPTIONS_FOR_TESTS="${MR_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# ----------------------------------------------------------------------------------------
# Suites. Each one runs in its own process (this script re-invoked with --suite) so that it
# can be put under `timeout`, which then also stops any server the suite started.

# Builds the remaining targets (the unit tests) and runs them. Kept apart from the server
# build so that a unit test that does not compile cannot stop the HTTP suites from running.
suite_unit() {
  local build_dir="$1" sanitized="$2"
  local build_args=(--build-dir "$build_dir")
  if [[ "$sanitized" == yes ]]; then
    build_args+=(--asan)
  fi
  "$SCRIPT_DIR/build.sh" "${build_args[@]}"
  if [[ "$sanitized" == yes ]]; then
    export ASAN_OPTIONS="$ASAN_OPTIONS_FOR_TESTS" UBSAN_OPTIONS="$UBSAN_OPTIONS_FOR_TESTS"
  fi
  # --no-tests=error: an empty test list means discovery broke, not that all is well.
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error --timeout 300
}

# True when a directory holds pytest test modules.
has_python_tests() {
  [[ -d "$1" ]] && [[ -n "$(find "$1" -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit)" ]]
}

# Every Python venv the suites use: the tools plus the v1alpha3 client, and the v1 clients (two
# venvs because the two official client generations cannot be installed side by side).
suite_venv() {
  "$SCRIPT_DIR/setup-venv.sh" "$VENV_DIR" "$REPO_ROOT/tests/requirements.txt"
  "$SCRIPT_DIR/setup-venv.sh" "$VENV_V1_DIR" "$REPO_ROOT/tests/requirements-v1.txt"
}

# A subshell, so that its EXIT trap (the scratch directory) cannot replace the caller's (the
# suites that start a PostgreSQL cluster stop it from theirs).
suite_pytest() (
  local test_dir="$1" binary="$2" sanitized="$3" venv_dir="${4:-$VENV_DIR}"
  local scratch
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/mr-pytest.XXXXXX")"
  # shellcheck disable=SC2064  # expand now: the variable is local
  trap "rm -rf '$scratch'" EXIT

  export MR_BINARY="$binary"
  if [[ "$sanitized" == yes ]]; then
    # The servers run as pytest's children and nothing checks how they exit, so reports go
    # to files that are inspected below.
    mkdir "$scratch/sanitizer"
    export ASAN_OPTIONS="$ASAN_OPTIONS_FOR_TESTS:log_path=$scratch/sanitizer/asan"
    export UBSAN_OPTIONS="$UBSAN_OPTIONS_FOR_TESTS:log_path=$scratch/sanitizer/ubsan"
  fi

  local rc=0
  "$venv_dir/bin/python" -m pytest -q -rfE -p no:cacheprovider --rootdir "$REPO_ROOT" \
    --junitxml "$scratch/junit.xml" "$test_dir" || rc=$?

  if ((rc == 5)); then
    echo "test.sh: pytest collected no tests from $test_dir although it has test files" >&2
    return 1
  fi

  local status=0
  if [[ "$sanitized" == yes ]] && [[ -n "$(ls -A "$scratch/sanitizer")" ]]; then
    echo "test.sh: sanitizer reports from the server processes:" >&2
    local report
    for report in "$scratch/sanitizer"/*; do
      echo "---- $(basename "$report")" >&2
      head -n 80 "$report" >&2
    done
    status=1
  fi
  ((rc == 0)) || return "$rc"

  # A run in which every test was skipped (e.g. the client library is missing) tested nothing.
  local executed
  executed="$("$venv_dir/bin/python" - "$scratch/junit.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
print(sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites))
PY
)"
  if ((executed == 0)); then
    echo "test.sh: every test in $test_dir was skipped; nothing was tested" >&2
    return 1
  fi
  return "$status"
)

# The web UI in Debian's chromium through Playwright (tests/ui), in its own venv built from
# tests/requirements-ui.txt; screenshots of the main pages go to $BUILD_DIR/ui-screenshots.
suite_ui_browser() {
  "$SCRIPT_DIR/setup-venv.sh" "$UI_VENV_DIR" "$REPO_ROOT/tests/requirements-ui.txt"
  export MR_UI_SCREENSHOTS="$BUILD_DIR/ui-screenshots"
  VENV_DIR="$UI_VENV_DIR" suite_pytest tests/ui "$BUILD_DIR/model-registry" no
}

# Runs an optional suite script with the documented environment.
suite_extra() {
  export MR_BINARY="$BUILD_DIR/model-registry" MR_ASAN_BINARY="$ASAN_BUILD_DIR/model-registry"
  export MR_BUILD_DIR="$BUILD_DIR" MR_ASAN_BUILD_DIR="$ASAN_BUILD_DIR" REPO_ROOT
  export VIRTUAL_ENV="$VENV_DIR" PATH="$VENV_DIR/bin:$PATH"
  "$@"
}

# The PostgreSQL backend (issue 9) on a throw-away cluster (scripts/pg-test-cluster.sh): the
# repository contract tests, then a representative part of the integration suite with every
# server on PostgreSQL (the API, filters, lists, races, hostile input, several replicas), so
# the suite stays within a few minutes. Not here: the admin commands and the tests that open
# the SQLite file themselves, which are SQLite-only.
suite_postgres() {
  local url
  url="$("$SCRIPT_DIR/pg-test-cluster.sh" start)"
  # shellcheck disable=SC2064  # expand now: the variable is local
  trap "'$SCRIPT_DIR/pg-test-cluster.sh' stop '$url'" EXIT
  export MR_TEST_DATABASE_URL="$url"
  "$BUILD_DIR/unit_tests" "[repository]"
  # suite_pytest takes one path; pytest adds the other files from PYTEST_ADDOPTS.
  local more
  more=(tests/integration/test_core_*.py tests/integration/test_api_*.py
    tests/integration/test_races.py tests/integration/test_hostile_input.py
    tests/integration/test_pg_startup.py
    tests/integration/test_cli_admin_pg.py
    tests/integration/test_shutdown.py
    tests/integration/test_storage_metrics.py)
  (PYTEST_ADDOPTS="${more[*]}" suite_pytest tests/integration/test_pg_replicas.py \
    "$BUILD_DIR/model-registry" no)
}

# The Kubernetes manifests (manifests/kustomize, tests/manifests): rendered with kustomize,
# validated against the Kubernetes schemas, checked against the Dockerfile and the binary.
# Its tools (scripts/install-manifest-tools.sh) go to .tools and .venv-manifests; the db
# overlay's replicas run on a throw-away PostgreSQL cluster.
suite_manifests() {
  local venv url
  venv="$(absolute "${MANIFESTS_VENV_DIR:-.venv-manifests}")"
  "$SCRIPT_DIR/install-manifest-tools.sh" "$REPO_ROOT/.tools" "$venv"
  export MR_KUSTOMIZE="$REPO_ROOT/.tools/bin/kustomize"
  url="$("$SCRIPT_DIR/pg-test-cluster.sh" start)"
  # shellcheck disable=SC2064  # expand now: the variable is local
  trap "'$SCRIPT_DIR/pg-test-cluster.sh' stop '$url'" EXIT
  export MR_TEST_DATABASE_URL="$url"
  suite_pytest tests/manifests "$BUILD_DIR/model-registry" no "$venv"
}

# Another suite (`pytest DIR BINARY no VENV`, `extra bash tests/schemathesis/run.sh`) with
# every server on PostgreSQL: a throw-away cluster whose URL goes into MR_TEST_DATABASE_URL,
# from which each server gets a fresh database of its own (tests/conftest.py, run.sh).
suite_with_postgres() {
  local url
  url="$("$SCRIPT_DIR/pg-test-cluster.sh" start)"
  # shellcheck disable=SC2064  # expand now: the variable is local
  trap "'$SCRIPT_DIR/pg-test-cluster.sh' stop '$url'" EXIT
  export MR_TEST_DATABASE_URL="$url"
  ("suite_$1" "${@:2}")  # a subshell: suite_pytest sets its own EXIT trap
}

if [[ "${1:-}" == "--suite" ]]; then
  shift
  cd "$REPO_ROOT"
  suite="$1"
  shift
  "suite_$suite" "$@"
  exit $?
fi

# ----------------------------------------------------------------------------------------
# Driver.

run_asan=yes
while (($# > 0)); do
  case "$1" in
    --no-asan) run_asan=no ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "test.sh: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done

cd "$REPO_ROOT"

summary=()
passed=0
failed=0
skipped=0
current_pid=""
current_suite=""
declare -A outcome=()

on_signal() {
  if [[ -n "$current_pid" ]]; then
    kill -TERM "$current_pid" 2>/dev/null || true
    wait "$current_pid" 2>/dev/null || true
    stop_clusters_of "$current_suite" >/dev/null
  fi
  echo "test.sh: interrupted" >&2
  exit 130
}
trap on_signal INT TERM

record() {
  local verdict="$1" name="$2" detail="$3"
  outcome[$name]="$verdict"
  case "$verdict" in
    PASS) passed=$((passed + 1)) ;;
    FAIL) failed=$((failed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
  esac
  summary+=("$(printf '%-4s  %-22s %s' "$verdict" "$name" "$detail")")
}

# PostgreSQL test clusters a suite started (scripts/pg-test-cluster.sh tags them with
# MR_PG_CLUSTER_OWNER) and left running, e.g. because its timeout killed it before its EXIT
# trap ran: stopped and removed; prints their directories.
stop_clusters_of() {
  { "$SCRIPT_DIR/pg-test-cluster.sh" stop-owned "test.sh-$$-$1" || true; } | tr '\n' ' '
}

# run_suite NAME TIME_LIMIT_SECONDS COMMAND...
run_suite() {
  local name="$1" limit="$2"
  shift 2
  echo
  echo "=================== $name ==================="
  local start=$SECONDS rc=0
  # In the background so that the INT/TERM trap can run while we wait.
  current_suite="$name"
  MR_PG_CLUSTER_OWNER="test.sh-$$-$name" timeout --kill-after=30 "$limit" "$@" </dev/null &
  current_pid=$!
  wait "$current_pid" || rc=$?
  current_pid=""
  local took="($((SECONDS - start))s)" leaked
  leaked="$(stop_clusters_of "$name")"
  if ((rc == 0)) && [[ -n "$leaked" ]]; then
    record FAIL "$name" "$took left PostgreSQL clusters running: $leaked"
  elif ((rc == 0)); then
    record PASS "$name" "$took"
  elif ((rc == 124 || rc == 137)); then
    record FAIL "$name" "$took timed out after ${limit}s"
  else
    record FAIL "$name" "$took exit code $rc"
  fi
}

passed_suite() { [[ "${outcome[$1]:-}" == PASS ]]; }

# run_pytest_suite NAME TEST_DIR BINARY SANITIZED BUILD_SUITE [VENV_DIR [TIME_LIMIT_SECONDS]]
run_pytest_suite() {
  local name="$1" test_dir="$2" binary="$3" sanitized="$4" build_suite="$5"
  local venv_dir="${6:-$VENV_DIR}" limit="${7:-1200}"
  if ! has_python_tests "$test_dir"; then
    record SKIP "$name" "no test files in $test_dir"
  elif ! passed_suite venv; then
    record FAIL "$name" "not run: the Python venv could not be set up"
  elif ! passed_suite "$build_suite"; then
    record FAIL "$name" "not run: $build_suite failed"
  else
    run_suite "$name" "$limit" "$SELF" --suite pytest "$test_dir" "$binary" "$sanitized" "$venv_dir"
  fi
}

total_start=$SECONDS
echo "test.sh: repo $REPO_ROOT, build $BUILD_DIR, asan build $ASAN_BUILD_DIR, venvs $VENV_DIR $VENV_V1_DIR, jobs $JOBS"

run_suite deps 1200 "$SCRIPT_DIR/install-deps.sh" --with-test-tools
run_suite venv 900 "$SELF" --suite venv
run_suite format 300 "$SCRIPT_DIR/check-format.sh"

run_suite build 2400 "$SCRIPT_DIR/build.sh" --build-dir "$BUILD_DIR" --target model-registry
if passed_suite build; then
  run_suite unit 2400 "$SELF" --suite unit "$BUILD_DIR" no
else
  record FAIL unit "not run: build failed"
fi
run_pytest_suite integration tests/integration "$BUILD_DIR/model-registry" no build
# The official clients, one suite per generation: 0.3.14 on v1alpha3 (.venv), and 0.3.18,
# kubeflow.hub and a KFP component on v1 (.venv-v1).
run_pytest_suite conformance tests/conformance "$BUILD_DIR/model-registry" no build "$VENV_DIR" 600
run_pytest_suite conformance-v1 tests/conformance "$BUILD_DIR/model-registry" no build "$VENV_V1_DIR" 600
if passed_suite unit && passed_suite deps; then
  run_suite postgres 900 "$SELF" --suite postgres
else
  record FAIL postgres "not run: deps or unit failed"
fi
# The official clients and schemathesis again, with the server on PostgreSQL.
if passed_suite build && passed_suite deps && passed_suite venv; then
  run_suite conformance-pg 600 "$SELF" --suite with_postgres pytest tests/conformance \
    "$BUILD_DIR/model-registry" no "$VENV_DIR"
  run_suite conformance-v1-pg 900 "$SELF" --suite with_postgres pytest tests/conformance \
    "$BUILD_DIR/model-registry" no "$VENV_V1_DIR"
  if [[ -f tests/schemathesis/run.sh ]]; then
    run_suite schemathesis-pg 900 "$SELF" --suite with_postgres extra bash tests/schemathesis/run.sh
  fi
else
  for name in conformance-pg conformance-v1-pg schemathesis-pg; do
    record FAIL "$name" "not run: build, deps or venv failed"
  done
fi
if passed_suite build && passed_suite deps; then
  run_suite ui-browser 600 "$SELF" --suite ui_browser
else
  record FAIL ui-browser "not run: deps or build failed"
fi
if passed_suite build; then
  run_suite docker-check 300 "$SCRIPT_DIR/docker-build-check.py" --binary "$BUILD_DIR/model-registry"
else
  record FAIL docker-check "not run: build failed"
fi

if passed_suite build && passed_suite deps; then
  run_suite manifests 600 "$SELF" --suite manifests
else
  record FAIL manifests "not run: deps or build failed"
fi

if [[ "$run_asan" == yes ]]; then
  run_suite build-asan 2400 "$SCRIPT_DIR/build.sh" --asan --build-dir "$ASAN_BUILD_DIR" \
    --target model-registry
  if passed_suite build-asan; then
    run_suite unit-asan 2400 "$SELF" --suite unit "$ASAN_BUILD_DIR" yes
  else
    record FAIL unit-asan "not run: build-asan failed"
  fi
  run_pytest_suite integration-asan tests/integration "$ASAN_BUILD_DIR/model-registry" yes build-asan
  run_pytest_suite conformance-asan tests/conformance "$ASAN_BUILD_DIR/model-registry" yes build-asan \
    "$VENV_V1_DIR" 900
else
  for name in build-asan unit-asan integration-asan conformance-asan; do
    record SKIP "$name" "--no-asan"
  done
fi

if [[ -f tests/schemathesis/run.sh ]]; then
  if passed_suite build && passed_suite venv; then
    run_suite schemathesis 1200 "$SELF" --suite extra bash tests/schemathesis/run.sh
  else
    record FAIL schemathesis "not run: build or venv failed"
  fi
fi
if [[ -f fuzz/run.sh ]]; then
  run_suite fuzz 1200 "$SELF" --suite extra bash fuzz/run.sh --ci
fi

echo
echo "=================== summary ==================="
printf '%s\n' "${summary[@]}"
echo "total time: $((SECONDS - total_start))s"
line="$passed passed, $failed failed"
((skipped == 0)) || line+=", $skipped skipped"
echo "$line"
((failed == 0))
