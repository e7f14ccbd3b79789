#!/usr/bin/env bash
# Fails when any C++ source differs from what .clang-format prescribes; fix with format.sh.
# Environment: CLANG_FORMAT   the clang-format binary (default: clang-format)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$(dirname "$SCRIPT_DIR")"
clang_format="${CLANG_FORMAT:-clang-format}"
command -v "$clang_format" >/dev/null 2>&1 ||
  { echo "check-format: '$clang_format' not found (apt-get install clang-format)" >&2; exit 1; }

mapfile -d '' files < <("$SCRIPT_DIR/format-files.sh" | sort -z)
if ((${#files[@]} == 0)); then
  echo "check-format: no C++ files to check"
  exit 0
fi

unformatted=()
for file in "${files[@]}"; do
  if ! report="$("$clang_format" --style=file --dry-run -Werror "$file" 2>&1)"; then
    unformatted+=("$file")
    # A file's first few violations are enough to see what is wrong; the rest is noise.
    head -n 9 <<<"$report" >&2
  fi
done

if ((${#unformatted[@]} > 0)); then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files need formatting:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "Fix with: scripts/format.sh" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted correctly"
