#!/usr/bin/env bash
# bench/experiments/side_peers.sh: one workload on weft (a bench_side), Go
# and Tokio (the peers of bench/peers/build, which bench/compare.sh builds),
# alternated weft, Go, Tokio, ... one process and one timed run each, as
# bench/ab.sh does for two weft builds; prints the median and spread of each.
#
#   bench/experiments/side_peers.sh BENCH_SIDE RUNS WORKERS WORKLOAD A B
#   e.g. flock /tmp/weft-bench.lock bench/experiments/side_peers.sh \
#          build-rel/bench/bench_side 9 2 timers 100000 1
#
# PEERS (default bench/peers/build) names the peers' build directory.
set -euo pipefail
if [ $# -ne 6 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
side=$1 runs=$2 w=$3 wl=$4 a=$5 b=$6
peers=${PEERS:-$(dirname "$0")/../peers/build}
declare -A r
for _ in $(seq "$runs"); do
  r[weft]+="$("$side" "$w" "$wl" 1 "$a" "$b") "
  r[go]+="$(GOMAXPROCS=$w "$peers/go-peer" "$wl" 1 "$a" "$b") "
  r[tokio]+="$("$peers/tokio-target/release/tokio-peer" multi_thread "$w" "$wl" 1 "$a" "$b") "
done
printf '| workload | runtime | median (ns/op) | min-max |\n|---|---|---:|---:|\n'
for k in weft go tokio; do
  # shellcheck disable=SC2086
  printf '%s\n' ${r[$k]} | sort -g | awk -v k="$k" -v s="$w $wl $a $b" \
    '{v[NR] = $1} END {printf "| %s | %s | %s | %s-%s |\n", s, k, v[int((NR + 1) / 2)], v[1], v[NR]}'
done
