#!/usr/bin/env bash
# headers.sh CC OPENBLAS_INCLUDE SOURCE_ROOT — every header under src/ compiles alone (STYLE.md
# §5): a file that includes nothing but the header is compiled with the project's warnings as
# errors, the modules' folders and the libraries' include paths. Prints one FAIL per header
# that needs something it does not include itself.
set -u
cc=$1 openblas_inc=$2 root=$3
cd "$root" || exit 1
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-std=c17 -D_GNU_SOURCE -fsyntax-only -Wall -Wextra -Wshadow -Werror -I"$openblas_inc")
for d in src/*/; do flags+=(-I"$root/$d"); done
read -r -a libs <<<"$(pkg-config --cflags gsl yaml-0.1 nettle zlib)"
fail=0
n=0
while IFS= read -r header; do
    printf '#include "%s"\n' "$root/$header" >"$work/one.c"
    if "$cc" "${flags[@]}" "${libs[@]}" -c "$work/one.c" -o /dev/null 2>"$work/err"; then
        n=$((n + 1))
    else
        echo "FAIL: $header does not compile alone:"
        sed 's/^/    /' "$work/err" | head -n 20
        fail=1
    fi
done < <(find src -name '*.h' | sort)
[ "$n" -gt 10 ] || [ "$fail" -ne 0 ] || { echo "FAIL: only $n headers found"; exit 1; }
[ "$fail" -eq 0 ] && echo "PASS: $n headers compile alone"
exit $fail
