#!/usr/bin/env bash
# bench/experiments/to_thread_rounds.sh: the to_thread workload for weft
# (one or more builds) and its peers, round-robin, one process per run as
# bench/compare.sh does, so that the shared machine's drift falls on all
# alike; prints every run's ns per round trip, then the median and min-max.
#
#   bench/experiments/to_thread_rounds.sh WORKERS ROUNDS N NAME=BENCH_SIDE...
#
# e.g. ... 1 11 20000 base=/tmp/base/build/bench/bench_side new=build/bench/bench_side
# The peers are those of bench/compare.sh: tokio-mt (WORKERS threads),
# tokio-ct (at 1 worker only), go (GOMAXPROCS=WORKERS).
set -euo pipefail
workers=${1:?usage: $0 WORKERS ROUNDS N NAME=BENCH_SIDE...}
rounds=${2:?}
n=${3:?}
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
peers=${WEFT_PEERS_BUILD:-$root/bench/peers/build}
tokio=$peers/tokio-target/release/tokio-peer
go=$peers/go-peer
names=() cmds=()
for nb in "$@"; do
  names+=("${nb%%=*}")
  cmds+=("${nb#*=} $workers to_thread 1 $n")
done
names+=(tokio-mt)
cmds+=("$tokio multi_thread $workers to_thread 1 $n")
if [ "$workers" = 1 ]; then
  names+=(tokio-ct)
  cmds+=("$tokio current_thread 1 to_thread 1 $n")
fi
names+=(go)
cmds+=("env GOMAXPROCS=$workers $go to_thread 1 $n")
echo "# $(date -u '+%F %T UTC'); $(uptime | sed 's/.*load/load/'); workers $workers; $rounds rounds of $n round trips"
declare -A runs
for _ in $(seq "$rounds"); do
  for i in "${!names[@]}"; do
    # shellcheck disable=SC2086
    v=$(timeout 300 ${cmds[$i]} | tail -1)
    runs[$i]="${runs[$i]:-} $v"
  done
done
echo "# end $(date -u '+%F %T UTC'); $(uptime | sed 's/.*load/load/')"
printf '| runtime | median ns/op | min-max | runs |\n|---|---:|---:|---|\n'
for i in "${!names[@]}"; do
  # shellcheck disable=SC2086
  printf '%s\n' ${runs[$i]} | sort -g | awk -v name="${names[$i]}" -v all="${runs[$i]}" \
    '{v[NR] = $1} END {printf "| %s | %s | %s-%s |%s |\n", name, v[int((NR + 1) / 2)], v[1], v[NR], all}'
done
