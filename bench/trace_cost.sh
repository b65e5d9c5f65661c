#!/usr/bin/env bash
# bench/trace_cost.sh: what the trace hooks cost, in instructions counted by
# callgrind on yield_many at one worker (valgrind 3.19 has no epoll_pwait2,
# so idle workers would spin under it: one worker keeps the count exact).
#
#   bench/trace_cost.sh [BASE]      (BASE: a commit to compare too, e.g. main)
#
# Builds exports (git archive) of HEAD with the trace compiled in (the
# default) and with -DWEFT_TRACE=OFF, and of BASE if given, then for each:
#   off   valgrind --tool=callgrind bench_count yield_many N 1, N = N1, N2
#   on    the same with WEFT_TRACE=file (HEAD with the trace compiled in),
#         WEFT_TRACE_EVENTS large enough that nothing is dropped
#   on-writing  the same, counting only inside weft__trace_finish (the
#         JSON written at shutdown); on minus on-writing is the recording
# and prints instructions per yield, (I(N2) - I(N1)) / (N2 - N1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
base=${1:-}
n1=${WEFT_BENCH_N1:-20000}
n2=${WEFT_BENCH_N2:-120000}
root=${WEFT_BENCH_DIR:-build-tracecost}
mkdir -p "$root"

build() { # build NAME COMMIT CMAKE-ARGS...
  local name=$1 commit=$2
  shift 2
  local d=$root/$name
  rm -rf "$d/src"
  mkdir -p "$d/src"
  git archive "$commit" | tar -x -C "$d/src"
  cmake -S "$d/src" -B "$d/b" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF -DWEFT_BUILD_BENCH=ON \
    "$@" >"$d/configure.log" 2>&1
  cmake --build "$d/b" -j2 --target bench_count >"$d/build.log" 2>&1
}

count() { # count NAME LABEL [ENV...]: instructions per yield
  local name=$1 label=$2
  shift 2
  local d=$root/$name i1 i2
  local vg=()
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && vg=("$@")
  for n in $n1 $n2; do
    env "${envs[@]}" valgrind --tool=callgrind "${vg[@]}" \
      --callgrind-out-file="$d/$label.$n.out" \
      "$d/b/bench/bench_count" yield_many "$n" 1 >"$d/$label.$n.log" 2>&1
  done
  i1=$(sed -n 's/^summary: //p' "$d/$label.$n1.out")
  i2=$(sed -n 's/^summary: //p' "$d/$label.$n2.out")
  awk -v w="$name/$label" -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" \
    'BEGIN { printf "  %-28s %14.0f %14.0f %10.2f\n", w, a, b, (b - a) / (n2 - n1) }'
}

head=$(git rev-parse --short HEAD)
echo "commit $head; yield_many, 1000 tasks of N/1000 yields, 1 worker; N = $n1, $n2"
build trace-in "$head"
build trace-out "$head" -DWEFT_TRACE=OFF
[ -n "$base" ] && build base "$(git rev-parse --short "$base")"
printf "  %-28s %14s %14s %10s\n" build "Ir at $n1" "Ir at $n2" "Ir/yield"
[ -n "$base" ] && count base off
count trace-out off
count trace-in off
count trace-in on WEFT_TRACE="$root/trace.json" WEFT_TRACE_EVENTS=$((2 * n2))
# The writing at shutdown apart: the same runs counted only inside
# weft__trace_finish (--collect-atstart=no --toggle-collect=...); recording
# alone is on minus that.
count trace-in on-writing WEFT_TRACE="$root/trace.json" \
  WEFT_TRACE_EVENTS=$((2 * n2)) -- --collect-atstart=no \
  --toggle-collect=weft__trace_finish
