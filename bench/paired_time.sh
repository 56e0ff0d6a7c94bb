#!/bin/bash
# Whole-process CPU of two qcfg binaries on the same command, run in turn (the machine's load
# shifts both alike): bench/paired_time.sh N OLD NEW ARGS... runs `OLD ARGS -o old.json` and
# `NEW ARGS -o new.json` under /usr/bin/time N times each after one warm-up pair, checks that the
# outputs are the same bytes, and prints the medians of user, sys, user + sys and wall (ms) and the
# median of the new / old CPU ratios pair by pair. /usr/bin/time counts in 10 ms steps.
set -euo pipefail
N=$1 OLD=$2 NEW=$3
shift 3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$OLD" "$@" -o "$T/old.json"
"$NEW" "$@" -o "$T/new.json"
for _ in $(seq "$N"); do
  /usr/bin/time -f '%U %S %e' -a -o "$T/t-old" "$OLD" "$@" -o "$T/old.json"
  /usr/bin/time -f '%U %S %e' -a -o "$T/t-new" "$NEW" "$@" -o "$T/new.json"
done
cmp "$T/old.json" "$T/new.json" && echo "outputs identical"
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for f in old new; do
  echo "$f: user $(awk '{print $1 * 1000}' "$T/t-$f" | median)" \
    "sys $(awk '{print $2 * 1000}' "$T/t-$f" | median)" \
    "cpu $(awk '{print ($1 + $2) * 1000}' "$T/t-$f" | median)" \
    "wall $(awk '{print $3 * 1000}' "$T/t-$f" | median) ms (medians of $N)"
done
echo "new / old CPU, pair by pair, median:" \
  "$(paste "$T/t-old" "$T/t-new" | awk '{print ($4 + $5) / ($1 + $2)}' | median)"
uptime
