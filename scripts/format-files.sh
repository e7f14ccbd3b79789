#!/usr/bin/env bash
# Shared by format.sh and check-format.sh: prints, NUL-separated, the C++ files that
# .clang-format governs (our own sources only; nothing under build directories).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$(dirname "$SCRIPT_DIR")"

dirs=()
for dir in src include tests/unit fuzz; do
  [[ -d "$dir" ]] && dirs+=("$dir")
done
if ((${#dirs[@]} > 0)); then
  find "${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.h' -o -name '*.hpp' \) -print0
fi
# bench/ also holds non-C++ material (scripts, results); only its C++ sources count.
if [[ -d bench ]]; then
  find bench -maxdepth 1 -type f \( -name '*.cpp' -o -name '*.h' \) -print0
fi
