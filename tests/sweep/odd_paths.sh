#!/usr/bin/env bash
# odd_paths.sh SCALEFIT SOURCE_ROOT — paths with spaces and non-ASCII characters everywhere (the
# sweep file's folder, its text data, the output folder, a fitted table and its fit's folder) go
# end to end; an output folder on a read-only mount (root ignores mode bits, a mount does not) is
# refused with exit 2 and its path, for `scalefit run` and `scalefit fit`. Mounting needs root:
# without it the read-only part skips (77) locally and fails where CI is set.
set -u
SCALEFIT=$1 ROOT=$2
. "$(dirname "$0")/lib.sh"
odd="$work/dossier à espaces ✓/données du test"
mkdir -p "$odd/textes à lire" || { failed "cannot make $odd"; exit 1; }
head -c 20000 "$root/README.md" >"$odd/textes à lire/première partie.txt"
tail -c 20000 "$root/README.md" >"$odd/textes à lire/deuxième partie.txt"
cat >"$odd/balayage d'essai.yaml" <<'YAML'
name: odd
data: {source: text, paths: ["textes à lire/*.txt"], eval_fraction: 0.2}
model:
  sizes: [2000, 8000]
  aspect: 8
  head_dim: 32
  n_ctx: 32
train: {tokens: 1e4, batch: 4, eval_points: 3, eval_tokens: 1024}
runner: {jobs: 2}
fit: {bootstrap: 20}
YAML
out="$odd/sortie résultats"
if "$scalefit" run "$odd/balayage d'essai.yaml" --out "$out" >"$work/odd.log" 2>&1; then
    pass "a sweep with spaces and non-ASCII characters in every path"
else
    failed "the sweep in odd paths exited $?"; tail -n 5 "$work/odd.log"
fi
[ "$(grep -c ',done,' "$out/results.csv" 2>/dev/null)" = 2 ] && [ -s "$out/report.md" ] \
    && pass "odd paths: both runs done, a report written" || failed "odd paths: results.csv or report.md"
table="$odd/tableau des pertes é.csv"
printf 'params,loss\n1e6,3.9\n3e6,3.5\n1e7,3.2\n3e7,3.0\n1e8,2.85\n3e8,2.76\n' >"$table"
if "$scalefit" fit "$table" --law power+const --x params --out "$odd/ajustement n°1" \
    --bootstrap 20 >"$work/fit.log" 2>&1 && [ -s "$odd/ajustement n°1/fit.yaml" ]; then
    pass "a fit of a table with spaces and non-ASCII characters in its path"
else
    failed "the fit in odd paths"; tail -n 5 "$work/fit.log"
fi

# A read-only output folder.
mkdir -p "$work/ro"
if ! mount -t tmpfs -o ro,size=1m tmpfs "$work/ro" 2>/dev/null; then
    echo "cannot mount a read-only tmpfs here (root is needed)"
    [ -n "${CI:-}" ] && { failed "a read-only mount is needed under CI"; exit 1; }
    [ "$fail" = 0 ] && exit 77
    exit 1
fi
for target in "$work/ro" "$work/ro/sub folder"; do
    "$scalefit" run "$root/tests/data/sweeps/small.yaml" --out "$target" >"$work/ro.log" 2>&1
    rc=$?
    [ "$rc" -eq 2 ] && grep -qF "$target: error: " "$work/ro.log" \
        && pass "run into a read-only folder ($(basename "$target")): exit 2 naming it" \
        || { failed "run into a read-only folder: exit $rc"; cat "$work/ro.log"; }
    "$scalefit" fit "$table" --law power+const --x params --out "$target" >"$work/ro.log" 2>&1
    rc=$?
    [ "$rc" -eq 2 ] && grep -qF "$target: error: " "$work/ro.log" \
        && pass "fit into a read-only folder ($(basename "$target")): exit 2 naming it" \
        || { failed "fit into a read-only folder: exit $rc"; cat "$work/ro.log"; }
done
umount "$work/ro"
exit $fail
