#!/usr/bin/env bash
# bench/profile.sh: where the instructions of one operation go.
#
#   bench/profile.sh OUT1 N1 OUT2 N2 [LIMIT]
#
# OUT1 and OUT2 are callgrind outputs of bench_count for the same workload
# at N1 and N2 operations (bench/run.sh leaves them in build-bench/callgrind/).
# For every function, its exclusive instruction count (callgrind_annotate,
# inlined code counted in the function it was inlined into, recursion levels
# such as 'weft__worker_loop'2' merged) at N2 minus at N1, divided by
# N2 - N1: instructions per operation, fixed costs cancelled. Prints the
# LIMIT (default 40) largest, then the sum over all functions.
# WEFT_PROFILE_EVENT picks another event of the outputs instead of Ir, for
# runs made with valgrind --tool=callgrind --cache-sim=yes: DLmr, DLmw
# (last-level read and write misses), D1mr, D1mw, ...
set -euo pipefail
export LC_ALL=C
if [ $# -lt 4 ]; then
  sed -n '2,15p' "$0" >&2
  exit 2
fi
out1=$1 n1=$2 out2=$3 n2=$4 limit=${5:-40}
event=${WEFT_PROFILE_EVENT:-Ir}

# "  1,234 ( 0.81%)  /path/file.c:func'2 [/path/obj]" -> "func 1234"
per_function() {
  callgrind_annotate --auto=no --inclusive=no --threshold=100 \
    --show="$event" --sort="$event" "$1" |
    awk '/^ *[0-9,]+ \( *[0-9.]+%\)  / && !/PROGRAM TOTALS/ {
           ir = $1; gsub(",", "", ir)
           fn = $0
           sub(/^ *[0-9,]+ \( *[0-9.]+%\)  /, "", fn)
           sub(/ \[.*\]$/, "", fn)
           n = split(fn, parts, ":"); fn = parts[n]
           sub(/\x27[0-9]+$/, "", fn)
           sum[fn] += ir
         }
         END { for (f in sum) print f, sum[f] }'
}

join -a1 -a2 -e0 -o '0,1.2,2.2' \
  <(per_function "$out1" | sort -k1,1) <(per_function "$out2" | sort -k1,1) |
  awk -v d=$((n2 - n1)) -v limit="$limit" '
    { per = ($3 - $2) / d; if (per < 0.05 && per > -0.05) next
      rows[++n] = sprintf("%10.1f  %s", per, $1); total += per }
    END {
      cmd = "sort -rn | head -n " limit
      for (i = 1; i <= n; i++) print rows[i] | cmd
      close(cmd)
      printf "%10.1f  TOTAL (functions above 0.05 per op)\n", total
    }'
