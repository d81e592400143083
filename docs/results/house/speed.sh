#!/usr/bin/env bash
# speed.sh OLD NEW ROOT — wall time of the same fits with two scalefit binaries, alternating,
# five times each, one thread; prints each time and the medians.
old=$1 new=$2 root=$3
export OMP_NUM_THREADS=1
cd "$root"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
run() { local bin=$1; shift; local t0 t1; t0=$(date +%s.%N); "$bin" fit "$@" --out "$w/o" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
D=tests/data/fit
for case in chinchilla kaplan powerconst; do
  case $case in
    chinchilla) args=("$D/bench_chinchilla_240.csv" --law chinchilla --n params --d tokens --bootstrap 100);;
    kaplan) args=("$D/kaplan_synth.csv" --law kaplan-nd --n params --d tokens --bootstrap 100);;
    powerconst) args=("$D/powerconst_synth.csv" --law power+const --x params --bootstrap 300);;
  esac
  o=(); n=()
  for i in 1 2 3 4 5; do o+=("$(run "$old" "${args[@]}")"); n+=("$(run "$new" "${args[@]}")"); done
  mo=$(printf '%s\n' "${o[@]}" | sort -n | sed -n 3p); mn=$(printf '%s\n' "${n[@]}" | sort -n | sed -n 3p)
  echo "$case: before ${o[*]} (median $mo s); after ${n[*]} (median $mn s); after/before $(echo "scale=3; $mn / $mo" | bc)"
done
