#!/usr/bin/env bash
# format.sh SOURCE_ROOT — every C file under src/, tests/ and bench/ is formatted as the checked-in
# .clang-format says (STYLE.md §39): clang-format --dry-run --Werror lists what differs. Without
# clang-format: skip (77), a failure where CI is set (scripts/setup.sh installs it).
set -u
root=$1
if ! command -v clang-format >/dev/null 2>&1; then
    [ -n "${CI:-}" ] && { echo "FAIL: clang-format is missing (scripts/setup.sh installs it)"; exit 1; }
    echo "SKIP: clang-format is missing (scripts/setup.sh installs it)"
    exit 77
fi
cd "$root" || exit 1
mapfile -t files < <(find src tests bench -name '*.[ch]' | sort)
[ "${#files[@]}" -gt 50 ] || { echo "FAIL: only ${#files[@]} C files found under $root"; exit 1; }
if clang-format --dry-run --Werror "${files[@]}"; then
    echo "PASS: ${#files[@]} files formatted as .clang-format says"
else
    echo "FAIL: the files above differ from .clang-format (clang-format -i FILE fixes them)"
    exit 1
fi
