#!/usr/bin/env bash
# bench/experiments/faults.sh: where the time of a run goes when a page
# fault is slow. For each workload (sizes as bench/compare.sh --quick runs
# them), runs weft (build-compare/), weft with warm-max-4096.patch
# (build-exp/b/, built by this script from an export of HEAD), Tokio's
# multi-thread runtime and Go, at WORKERS (default 2), one process each,
# and prints per run: ns per operation (the program's own figure), wall,
# user and system seconds, and minor page faults (getrusage of the child).
# Then the page-fault floor (bench_floors fault 5000) once before and once
# after. Needs bench/compare.sh to have built build-compare/ and the peers.
#
#   bench/experiments/faults.sh [WORKERS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
w=${1:-2}
if [ ! -x build-exp/b/bench/bench_side ] ||
  [ "$(cat build-exp/b/commit 2>/dev/null)" != "$(git rev-parse HEAD)" ]; then
  rm -rf build-exp/src && mkdir -p build-exp/src
  git archive HEAD | tar -x -C build-exp/src
  (cd build-exp/src && patch -p1 -s <../../bench/experiments/warm-max-4096.patch)
  cmake -S build-exp/src -B build-exp/b -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=none \
    -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-exp/b -j2 --target bench_side >/dev/null
  git rev-parse HEAD >build-exp/b/commit
fi
tokio=bench/peers/build/tokio-target/release/tokio-peer
go=bench/peers/build/go-peer
measure() { # measure LABEL CMD...: one run, one line
  /usr/bin/python3 - "$@" <<'PY'
import os, resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
env = dict(os.environ)
if cmd[0].startswith("GOMAXPROCS="):
    env["GOMAXPROCS"] = cmd[0].split("=")[1]
    cmd = cmd[1:]
t = time.time()
out = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout.split()
wall = time.time() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("  %-14s %12s ns/op  wall %6.2f s  user %5.2f s  sys %5.2f s  faults %7d" % (
    label, out[-1] if out else "failed", wall, r.ru_utime, r.ru_stime, r.ru_minflt))
PY
}
echo "== $(date -u '+%F %T') UTC, HEAD $(git rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg), $w workers"
echo "fault floor: $(build-compare/bench/bench_floors fault 5000) ns per fresh page"
for spec in "gather 10 1000" "fan_out 10 32" "timers 10000 1" "ping_pong 1000 100" \
  "spawn_many 100000" "spawn_await 100000" "yield 1000000"; do
  read -r wl a b <<<"$spec"
  echo "$wl $a ${b:-}"
  measure weft build-compare/bench/bench_side "$w" "$wl" 1 "$a" ${b:+"$b"}
  measure weft-warm4096 build-exp/b/bench/bench_side "$w" "$wl" 1 "$a" ${b:+"$b"}
  measure tokio-mt "$tokio" multi_thread "$w" "$wl" 1 "$a" ${b:+"$b"}
  measure go "GOMAXPROCS=$w" "$go" "$wl" 1 "$a" ${b:+"$b"}
done
echo "fault floor: $(build-compare/bench/bench_floors fault 5000) ns per fresh page"
