#!/usr/bin/env bash
# Creates (or refreshes) the Python virtual environment the pytest suites run in.
#
# Usage: scripts/setup-venv.sh [VENV_DIR [REQUIREMENTS_FILE]]
#   VENV_DIR           default: .venv in the repository root
#   REQUIREMENTS_FILE  default: tests/requirements.txt
#
# An existing venv is reused untouched when its stamp (a hash of the requirements file
# and the interpreter version) still matches, so repeated CI and developer runs skip pip.
#
# Environment:
#   PYTHON   interpreter to build the venv from (default: /usr/bin/python3, the Debian one
#            that python3-venv provides for; falls back to python3 on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
readonly SCRIPT_DIR REPO_ROOT
readonly STAMP_NAME=".mr-requirements.sha256"

die() {
  echo "setup-venv: $*" >&2
  exit 1
}

case "${1:-}" in
  -h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac

venv_dir="${1:-$REPO_ROOT/.venv}"
requirements="${2:-$REPO_ROOT/tests/requirements.txt}"
[[ -f "$requirements" ]] || die "requirements file '$requirements' not found"

if [[ -n "${PYTHON:-}" ]]; then
  python="$PYTHON"
elif [[ -x /usr/bin/python3 ]]; then
  python=/usr/bin/python3
else
  python="$(command -v python3)" || die "python3 not found"
fi

# The stamp covers what decides the venv's content: the pinned set and the interpreter.
interpreter_id="$("$python" -c 'import sys; print(sys.version)')" ||
  die "cannot run '$python'"
wanted_stamp="$( (
  cat "$requirements"
  echo "$interpreter_id"
) | sha256sum | cut -d' ' -f1)"

venv_python="$venv_dir/bin/python"
if [[ -f "$venv_dir/$STAMP_NAME" && -x "$venv_python" ]] &&
  [[ "$(cat "$venv_dir/$STAMP_NAME")" == "$wanted_stamp" ]] &&
  "$venv_python" -c 'import sys' 2>/dev/null; then
  echo "setup-venv: $venv_dir is up to date"
  exit 0
fi

if [[ -e "$venv_dir" && -n "$(ls -A -- "$venv_dir")" ]]; then
  # Only ever delete something that is recognisably a venv.
  [[ -f "$venv_dir/pyvenv.cfg" ]] ||
    die "'$venv_dir' exists but is not a virtual environment; remove it or choose another directory"
  venv_version="$("$venv_python" -c 'import sys; print(sys.version)' 2>/dev/null || true)"
  if [[ "$venv_version" != "$interpreter_id" ]]; then
    echo "setup-venv: $venv_dir was made by another interpreter; recreating it"
    rm -rf -- "$venv_dir"
  fi
fi

if [[ ! -x "$venv_python" ]]; then
  echo "setup-venv: creating $venv_dir with $python"
  "$python" -m venv "$venv_dir" ||
    die "'$python -m venv' failed (on Debian: apt-get install python3-venv)"
fi

echo "setup-venv: installing $(basename "$requirements") into $venv_dir"
# The stamp is removed first so an interrupted install is never mistaken for a good one.
rm -f -- "$venv_dir/$STAMP_NAME"
"$venv_python" -m pip install --disable-pip-version-check --no-input --quiet \
  --requirement "$requirements"
echo "$wanted_stamp" >"$venv_dir/$STAMP_NAME"
echo "setup-venv: $venv_dir is ready"
