#!/usr/bin/env bash
# Rewrites the C++ sources in place according to .clang-format.
# Usage: scripts/format.sh [FILE ...]   (default: every file check-format.sh checks)
# Environment: CLANG_FORMAT   the clang-format binary (default: clang-format)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
clang_format="${CLANG_FORMAT:-clang-format}"
command -v "$clang_format" >/dev/null 2>&1 ||
  { echo "format: '$clang_format' not found (apt-get install clang-format)" >&2; exit 1; }

if (($# > 0)); then
  files=("$@")
else
  cd "$(dirname "$SCRIPT_DIR")"
  mapfile -d '' files < <("$SCRIPT_DIR/format-files.sh" | sort -z)
fi
if ((${#files[@]} == 0)); then
  echo "format: no C++ files"
  exit 0
fi
"$clang_format" --style=file -i "${files[@]}"
echo "format: formatted ${#files[@]} files"
