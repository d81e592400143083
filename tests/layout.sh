#!/usr/bin/env bash
# layout.sh SOURCE_ROOT — fails when a file includes a header that the rules of
# docs/architecture.md (its table "Who may include what") forbid: another module's header that is
# not on the module's list, any other module's internal header, or a library header the module
# does not list. Test folders may include every public header, the internal headers of the
# module they test, and the helpers in tests/. Prints one FAIL line per offending include.
set -u
root=$1
cd "$root" || exit 1
doc=docs/architecture.md
[ -f "$doc" ] || { echo "FAIL: $doc is missing"; exit 1; }
fail=0

# The table: | `module` | folders | `may`, `include` | `libraries` |
declare -A allowed libs
while IFS='|' read -r _ mod _folders may lib _; do
    mod=$(echo "$mod" | tr -d '` ')
    allowed[$mod]=" $(echo "$may" | tr -d '`,' | tr -s ' ') "
    libs[$mod]=" $(echo "$lib" | tr -d '`,' | tr -s ' ') "
done < <(awk '/^## Who may include what/ {on = 1; next} /^## / {on = 0} on && /^\| `/' "$doc")
[ "${#allowed[@]}" -ge 6 ] || { echo "FAIL: $doc: the rules table has ${#allowed[@]} rows"; exit 1; }

# The library a system header belongs to, or nothing for the C library and OpenMP.
library_of() {
    case "$1" in
    gsl/*) echo gsl ;;
    cblas.h | f77blas.h | openblas*) echo openblas ;;
    libxsmm*) echo libxsmm ;;
    yaml.h) echo libyaml ;;
    nettle/*) echo nettle ;;
    zlib.h) echo zlib ;;
    esac
}

# check FILE OWNER TESTED: OWNER is the module the file belongs to (empty for a test), TESTED the
# module whose internal headers a test may include.
check_file() {
    local file=$1 owner=$2 tested=$3 dir line header where m lib
    dir=$(dirname "$file")
    while IFS= read -r line; do
        if [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
            header=${BASH_REMATCH[1]}
            if [ -f "$dir/$header" ]; then
                where=$(realpath --relative-to=. "$dir/$header")
            elif [ -n "$tested" ] && [ -f "tests/$header" ]; then
                continue
            elif [ -n "$tested" ] && [ -f "src/$tested/$header" ]; then
                where=src/$tested/$header
            else
                where=$(ls src/*/"$header" 2>/dev/null | head -n 1)
            fi
            case "$where" in
            src/*/*) m=${where#src/}; m=${m%%/*} ;;
            tests/*) continue ;;
            *) echo "FAIL: $file: \"$header\" is not a header of any module"; fail=1; continue ;;
            esac
            [ "$m" = "$owner" ] && continue
            if [ "$(basename "$where")" != "$m.h" ] && [ "$m" != "$tested" ]; then
                echo "FAIL: $file: \"$header\" is an internal header of $m"
                fail=1
            elif [ -n "$owner" ] && [[ ${allowed[$owner]} != *" $m "* ]]; then
                echo "FAIL: $file: $owner may not include $m (docs/architecture.md)"
                fail=1
            fi
        elif [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
            lib=$(library_of "${BASH_REMATCH[1]}")
            [ -z "$lib" ] && continue
            m=${owner:-$tested}
            if [[ ${libs[$m]} != *" $lib "* ]] && [ -n "$owner" ]; then
                echo "FAIL: $file: $owner may not use $lib (<${BASH_REMATCH[1]}>)"
                fail=1
            fi
        fi
    done <"$file"
}

n=0
while IFS= read -r file; do
    case "$file" in
    src/main.c) owner=cli ;;
    src/*/*) owner=${file#src/}; owner=${owner%%/*} ;;
    esac
    if [ -z "${allowed[$owner]+x}" ]; then
        echo "FAIL: $file: module $owner has no row in $doc"
        fail=1
        continue
    fi
    check_file "$file" "$owner" ""
    n=$((n + 1))
done < <(find src -name '*.[ch]' | sort)
while IFS= read -r file; do
    suite=${file#tests/}; suite=${suite%%/*}
    tested=$suite
    [ "$suite" = slurm ] && tested=sweep
    check_file "$file" "" "$tested"
    n=$((n + 1))
done < <(find tests -mindepth 2 -name '*.[ch]' | sort)
[ "$n" -gt 50 ] || { echo "FAIL: only $n files checked"; exit 1; }
[ "$fail" -eq 0 ] && echo "PASS: $n files include only what docs/architecture.md allows"
exit $fail
