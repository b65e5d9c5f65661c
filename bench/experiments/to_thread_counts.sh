#!/usr/bin/env bash
# bench/experiments/to_thread_counts.sh: kernel events per to_thread round
# trip, weft against its peers (issue 8, the to_thread gap).
#
#   bench/experiments/to_thread_counts.sh WORKERS [N1 N2] [BENCH_SIDE]
#
# Runs each program's to_thread workload at two sizes (N1, N2; default
# 10000 and 20000) under `perf stat` with tracepoints (they work on this VM,
# hardware counters do not) and prints, for each size, the raw counts, then
# per round trip: (count at N2 - count at N1) / (1.1 * (N2 - N1)), since every
# program runs a warm-up of a tenth of N before the timed run, so start-up
# and exit cancel out. The columns:
#   syscalls  every system call (raw_syscalls:sys_enter)
#   futex     futex calls (waits and wakes)
#   epoll     epoll_pwait2 + epoll_wait calls
#   rw        read + write calls (eventfd wakes and drains)
#   nanosl    nanosleep calls (Go's spinning M's usleep)
#   sched_yield
#   cs        context switches (sched:sched_switch)
#   wakeups   sched:sched_wakeup (a thread made runnable)
#   migr      cpu-migrations
#   task-ms   CPU time of all threads (task-clock, ms)
# The peers are those bench/compare.sh runs (Tokio's multi-thread runtime
# with WORKERS, its current-thread runtime at 1, Go with GOMAXPROCS).
set -euo pipefail
workers=${1:?usage: $0 WORKERS [N1 N2] [BENCH_SIDE]}
n1=${2:-10000}
n2=${3:-20000}
root=$(cd "$(dirname "$0")/../.." && pwd)
side=${4:-$root/build/bench/bench_side}
peers=${WEFT_PEERS_BUILD:-$root/bench/peers/build}
tokio=$peers/tokio-target/release/tokio-peer
go=$peers/go-peer
ev=raw_syscalls:sys_enter,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_nanosleep,syscalls:sys_enter_sched_yield,sched:sched_switch,sched:sched_wakeup,cpu-migrations,task-clock
echo "# $(date -u '+%F %T UTC'); $(uptime | sed 's/.*load/load/'); workers $workers; sizes $n1 $n2"
echo "# script from the tree at $(git -C "$root" rev-parse --short HEAD); weft binary: $side"
# One run: prints the ns/op and the counts, space-separated, in $ev's order.
one() {
  local out
  out=$(mktemp)
  local ns
  ns=$(timeout 300 perf stat -x, -o "$out" -e "$ev" "$@" | tail -1)
  # task-clock's value is in ms with a decimal point; the rest are counts.
  local counts
  counts=$(grep -v '^#' "$out" | grep -v '^$' | cut -d, -f1 | tr '\n' ' ')
  rm -f "$out"
  echo "$ns $counts"
}
row() {
  local name=$1
  shift
  local a b
  a=$(one "$@" "$n1")
  b=$(one "$@" "$n2")
  echo "$name N=$n1: $a"
  echo "$name N=$n2: $b"
  awk -v name="$name" -v a="$a" -v b="$b" -v d="$(((n2 - n1) * 11 / 10))" 'BEGIN {
    split(a, x, " "); split(b, y, " ");
    # x[1] is ns/op; x[2..] the events
    futex = y[3] - x[3]; epoll = (y[4] + y[5]) - (x[4] + x[5]);
    rw = (y[6] + y[7]) - (x[6] + x[7]);
    printf "%-10s per op: syscalls %6.2f futex %5.2f epoll %5.2f rw %5.2f nanosl %5.3f sched_yield %5.2f cs %5.2f wakeups %5.2f migr %6.3f task-us %6.2f\n",
      name, (y[2] - x[2]) / d, futex / d, epoll / d, rw / d, (y[8] - x[8]) / d,
      (y[9] - x[9]) / d, (y[10] - x[10]) / d, (y[11] - x[11]) / d,
      (y[12] - x[12]) / d, (y[13] - x[13]) * 1000 / d }'
}
row weft "$side" "$workers" to_thread 1
row tokio-mt "$tokio" multi_thread "$workers" to_thread 1
if [ "$workers" = 1 ]; then
  row tokio-ct "$tokio" current_thread 1 to_thread 1
fi
row go env GOMAXPROCS="$workers" "$go" to_thread 1
