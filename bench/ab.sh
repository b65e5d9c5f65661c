#!/usr/bin/env bash
# bench/ab.sh: the same workloads on two builds of bench_side, run in
# alternation (A, B, A, B, ...) so that the shared machine's drift falls on
# both alike; prints the median of each, its spread (min-max) and the ratio B/A.
#
#   bench/ab.sh BENCH_SIDE_A BENCH_SIDE_B RUNS 'WORKERS WORKLOAD A [B]' ...
#
# Each quoted set is one bench_side command line without its REPS (every
# run is its own process with one timed run, as bench/compare.sh does).
# Example, a commit against the working tree:
#   git worktree add /tmp/base REV && cmake -S /tmp/base -B /tmp/base/build \
#     -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/base/build --target bench_side
#   bench/ab.sh /tmp/base/build/bench/bench_side build/bench/bench_side 5 \
#     '2 spawn_many 1000000' '2 fan_out 100 32'
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
a=$1 b=$2 runs=$3
shift 3
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
spread() { sort -g | awk '{v[NR] = $1} END {print v[1] "-" v[NR]}'; }
printf '| workload | A (ns/op) | A min-max | B (ns/op) | B min-max | B/A |\n|---|---:|---:|---:|---:|---:|\n'
for set in "$@"; do
  read -r -a args <<<"$set"
  ra=() rb=()
  for _ in $(seq "$runs"); do
    ra+=("$("$a" "${args[0]}" "${args[1]}" 1 "${args[@]:2}")")
    rb+=("$("$b" "${args[0]}" "${args[1]}" 1 "${args[@]:2}")")
  done
  ma=$(printf '%s\n' "${ra[@]}" | median)
  mb=$(printf '%s\n' "${rb[@]}" | median)
  sa=$(printf '%s\n' "${ra[@]}" | spread)
  sb=$(printf '%s\n' "${rb[@]}" | spread)
  awk -v s="$set" -v a="$ma" -v b="$mb" -v sa="$sa" -v sb="$sb" \
    'BEGIN {printf "| %s | %s | %s | %s | %s | %.3f |\n", s, a, sa, b, sb, b / a}'
done
