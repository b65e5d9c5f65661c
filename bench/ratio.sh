#!/usr/bin/env bash
# bench/ratio.sh: issue 4's speed-up of a workload from 1 worker to N
# workers, measured so that a shared host's noise falls on both sides alike.
#
#   bench/ratio.sh BENCH_SIDE ROUNDS WORKERS 'WORKLOAD A [B]' ...
#   bench/ratio.sh build/bench/bench_side 9 2 'yield_many 1000 10000'
#
# Each round runs the workload once at 1 worker on every CPU in turn (the
# vCPUs here run a one-worker loop at speeds up to 1.5x apart, and which one
# is slower changes over minutes), then once at WORKERS workers. Runs are
# under SCHED_FIFO (chrt -f 50) when allowed, so other processes' threads do
# not take the CPUs mid-run. Prints the medians (ns/op) and the speed-up:
# the 1-worker median over the N-worker median, against the fastest CPU's
# 1-worker median (the strict figure) and against the slowest's.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,15p' "$0" >&2
  exit 2
fi
bin=$1 rounds=$2 workers=$3
shift 3
ncpu=$(nproc)
rt=()
if chrt -f 50 true 2>/dev/null; then rt=(chrt -f 50); fi
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "# $(date -u +%FT%TZ) $(uname -n), $ncpu CPUs, ${rt[*]:-no chrt}, $rounds rounds"
printf '| workload |'
for c in $(seq 0 $((ncpu - 1))); do printf ' 1w cpu%s |' "$c"; done
printf ' %sw | speed-up (fastest cpu) | (slowest cpu) |\n|---|' "$workers"
for _ in $(seq 0 "$ncpu"); do printf -- '---:|'; done
printf -- '---:|---:|\n'
for set in "$@"; do
  read -r -a args <<<"$set"
  declare -A one=()
  many=()
  for _ in $(seq "$rounds"); do
    for c in $(seq 0 $((ncpu - 1))); do
      one[$c]+="$("${rt[@]}" taskset -c "$c" "$bin" 1 "${args[0]}" 1 "${args[@]:1}") "
    done
    many+=("$("${rt[@]}" "$bin" "$workers" "${args[0]}" 1 "${args[@]:1}")")
  done
  printf '| %s |' "$set"
  slow=0 fast=1e99
  for c in $(seq 0 $((ncpu - 1))); do
    m=$(tr ' ' '\n' <<<"${one[$c]}" | grep . | median)
    printf ' %s |' "$m"
    slow=$(awk -v a="$slow" -v b="$m" 'BEGIN {print (b > a) ? b : a}')
    fast=$(awk -v a="$fast" -v b="$m" 'BEGIN {print (b < a) ? b : a}')
  done
  mm=$(printf '%s\n' "${many[@]}" | median)
  printf ' %s | %s | %s |\n' "$mm" \
    "$(awk -v a="$fast" -v b="$mm" 'BEGIN {printf "%.2f", a / b}')" \
    "$(awk -v a="$slow" -v b="$mm" 'BEGIN {printf "%.2f", a / b}')"
  unset one
done
