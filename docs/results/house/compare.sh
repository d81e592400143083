#!/usr/bin/env bash
# compare.sh A B — differences between two captures, with timing columns and lines masked.
a=$1; b=$2
norm() { # file -> normalised text
  case "$1" in
    *.png|*.svg|*/lock) md5sum < "$1";;
    */metrics.csv) cut -d, -f1-10 "$1";;
    */log.txt) sed -E -e 's/^[0-9T:Z-]+ //' -e 's/ [0-9]+ tokens\/s//' "$1";;
    */stderr.txt) sed -E -e 's/ +[0-9]+ tokens\/s.*//' "$1";;
    */checkpoint.bin) echo skip;;
    */tiny.stderr) sed -E -e 's/[0-9]+(\.[0-9]+)? ?(s|min|seconds)\b/T/g' "$1" | sort;;
    *) sed -E -e 's/[0-9]+(\.[0-9]+)? ?(s|min|seconds)\b/T/g' -e 's/elapsed_s: .*/elapsed_s: T/' -e 's/start_elapsed_s: .*/X/' "$1";;
  esac
}
rc=0
while read -r f; do
  if [ ! -e "$b/$f" ]; then echo "ONLY IN A: $f"; rc=1; continue; fi
  if ! diff -q <(norm "$a/$f") <(norm "$b/$f") >/dev/null; then echo "DIFF: $f"; rc=1; fi
done < <(cd "$a" && find . -type f | sort)
while read -r f; do [ -e "$a/$f" ] || { echo "ONLY IN B: $f"; rc=1; }; done < <(cd "$b" && find . -type f | sort)
exit $rc
