#!/usr/bin/env bash
# bench/run.sh: build the micro-benchmarks and measure them.
#
#   bench/run.sh [micro|callgrind|all]      (default: all)
#
#   micro      Google Benchmark, every workload, 5 repetitions, medians:
#              issue 3's one-worker cases, then issue 4's scheduler set
#              (spawn_many, spawn_many_each, yield_many, ping_pong,
#              chained_spawn) at 1, 2 and 4 workers with steals and parks
#              counted; the parallel floor (bench_parallel: how much of the
#              second CPU the machine gives) is measured just before and
#              just after
#   callgrind  instructions per operation under valgrind --tool=callgrind
#              (repeatable, unlike time): each workload runs N1 and N2
#              operations and instr/op = (I(N2) - I(N1)) / (N2 - N1); then
#              where they go, per function, for spawn+await and yield
#              (bench/profile.sh). Issue 3's cases, then issue 4's set at
#              one worker ($WEFT_BENCH_CG_WORKERS, e.g. "1 2", for more; but
#              valgrind 3.19 has no epoll_pwait2, so parked workers spin
#              and counts with more workers are meaningless without
#              bench/experiments/valgrind-epoll-wait.patch; and valgrind
#              runs one thread at a time: nothing of contention shows)
#
# The build is its own tree, build-bench/ (or $WEFT_BENCH_DIR): RelWithDebInfo
# (-O2 -g), no sanitizer, the assembly context switch, no tests or examples.
# Outputs stay there: bench-micro.txt and .json, callgrind/*.out.
# WEFT_BENCH_AT=COMMIT (e.g. HEAD) builds an export of that commit (git
# archive, into $dir/src) instead of the working tree, which others may be
# editing: use it for figures to record. WEFT_BENCH_FILTER (a regex) runs
# only some benchmarks; WEFT_BENCH_N1 and WEFT_BENCH_N2 change the callgrind
# counts (issue 4's set needs multiples of 1000).
# bench/RESULTS.md records one run and how to read it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:-all}
case $what in micro | callgrind | all) ;; *)
  sed -n '2,31p' "$0" >&2
  exit 2
  ;;
esac
dir=${WEFT_BENCH_DIR:-build-bench}
n1=${WEFT_BENCH_N1:-20000}
n2=${WEFT_BENCH_N2:-120000}
workloads="spawn_await yield yield_pair sleep0 ctx_switch"
sched_workloads="spawn_many spawn_many_each yield_many ping_pong chained_spawn"
cg_workers=${WEFT_BENCH_CG_WORKERS:-1}

echo "== machine"
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs online," \
  "$(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest; $(uname -srm)"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
src=.
if [ -n "${WEFT_BENCH_AT:-}" ]; then
  commit=$(git rev-parse --short "$WEFT_BENCH_AT^{commit}")
  src=$dir/src
  rm -rf "$src"
  mkdir -p "$src"
  git archive "$commit" | tar -x -C "$src"
  commit="$commit (an export, git archive, in $src)"
elif commit=$(git rev-parse --short HEAD 2>/dev/null); then
  git diff --quiet HEAD -- rt io include bench CMakeLists.txt ||
    commit="$commit, with uncommitted changes in rt/, io/, include/, bench/ or CMakeLists.txt (WEFT_BENCH_AT=HEAD measures the commit alone)"
else
  commit="not a git checkout"
fi
echo "commit: $commit"
# Other processes on this 2-CPU machine move the timings: look at this first.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build ($dir: RelWithDebInfo, no sanitizer)"
mkdir -p "$dir"
# A tree configured from another source directory (the working tree or an
# export) is configured afresh.
if [ -f "$dir/CMakeCache.txt" ] &&
  ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$(cd "$src" && pwd)" "$dir/CMakeCache.txt"; then
  rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
fi
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=none \
  -DWEFT_CTX=auto -DWEFT_BUILD_BENCH=ON -DWEFT_BUILD_TESTS=OFF \
  -DWEFT_BUILD_EXAMPLES=OFF >"$dir.configure.log" 2>&1 ||
  { cat "$dir.configure.log"; exit 1; }
mv "$dir.configure.log" "$dir/configure.log"
cmake --build "$dir" -j"$(nproc)" --target bench_micro bench_count bench_parallel \
  >"$dir/build.log" 2>&1 || { tail -n 50 "$dir/build.log"; exit 1; }
if [ ! -x "$dir/bench/bench_micro" ]; then
  echo "run.sh: no benchmarks were built (is libbenchmark-dev installed?)" >&2
  exit 1
fi

if [ "$what" != callgrind ]; then
  # The second vCPU of this VM is sometimes not there: every 2-worker
  # figure is read against this.
  echo "== parallel floor before: $dir/bench/bench_parallel"
  "$dir/bench/bench_parallel"
  echo "== micro: $dir/bench/bench_micro --benchmark_repetitions=5 --benchmark_report_aggregates_only=true"
  read -r _ u0 n0 s0 i0 w0 q0 sq0 _ </proc/stat
  "$dir/bench/bench_micro" --benchmark_filter="${WEFT_BENCH_FILTER:-.}" \
    --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$dir/bench-micro.json" --benchmark_out_format=json \
    >"$dir/bench-micro.txt" 2>&1 || { cat "$dir/bench-micro.txt"; exit 1; }
  read -r _ u1 n1_ s1 i1_ w1 q1 sq1 _ </proc/stat
  busy=$(((u1 + n1_ + s1 + q1 + sq1) - (u0 + n0 + s0 + q0 + sq0)))
  idle=$(((i1_ + w1) - (i0 + w0)))
  # The benchmark keeps one CPU busy (the worker; its own thread waits in
  # pthread_join): about 50% here when nothing else runs.
  echo "CPU busy during the run: $((100 * busy / (busy + idle)))% of $(nproc) CPUs (about $((100 / $(nproc)))% is the benchmark itself)"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== parallel floor after: $dir/bench/bench_parallel"
  "$dir/bench/bench_parallel"
  echo "medians of 5 (Time: per iteration, for issue 4's set a whole run;" \
    "ns_per_op: per operation; cv: spread of the 5;" \
    "steals, parks: per run, summed over the workers):"
  python3 - "$dir/bench-micro.json" <<'PY'
import json, sys
rows, order = {}, []
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") != "aggregate":
        continue
    name = b["run_name"].replace("/iterations:1", "").replace("/manual_time", "")
    if name not in rows:
        rows[name] = {}
        order.append(name)
    rows[name][b["aggregate_name"]] = b
print("  %-28s %12s %12s %8s %10s %10s" % ("benchmark", "Time", "ns_per_op", "cv", "steals", "parks"))
for name in order:
    m, cv = rows[name].get("median"), rows[name].get("cv")
    if not m:
        continue
    def c(k):
        return "%.0f" % m[k] if k in m else "-"
    print("  %-28s %9.4g %-2s %12.4g %7.2f%% %10s %10s" % (
        name, m["real_time"], m["time_unit"], m["ns_per_op"],
        100 * cv["real_time"] if cv else float("nan"), c("steals"), c("parks")))
PY
fi

if [ "$what" != micro ]; then
  echo "== callgrind: valgrind --tool=callgrind $dir/bench/bench_count WORKLOAD N, N = $n1 and $n2"
  mkdir -p "$dir/callgrind"
  printf "  %-24s %14s %14s %10s\n" workload "Ir at $n1" "Ir at $n2" "instr/op"
  for w in $workloads; do
    for n in $n1 $n2; do
      valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind/$w.$n.out" \
        "$dir/bench/bench_count" "$w" "$n" >"$dir/callgrind/$w.$n.log" 2>&1 ||
        { cat "$dir/callgrind/$w.$n.log"; exit 1; }
    done
    i1=$(sed -n 's/^summary: //p' "$dir/callgrind/$w.$n1.out")
    i2=$(sed -n 's/^summary: //p' "$dir/callgrind/$w.$n2.out")
    awk -v w="$w" -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" \
      'BEGIN { printf "  %-24s %14.0f %14.0f %10.1f\n", w, a, b, (b - a) / (n2 - n1) }'
  done
  # Issue 4's set: bench_count WORKLOAD N WORKERS (no warm-up; the sizes
  # that do not grow with N cancel out, see bench/micro/count.c).
  for nw in $cg_workers; do
    for w in $sched_workloads; do
      for n in $n1 $n2; do
        valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind/$w.w$nw.$n.out" \
          "$dir/bench/bench_count" "$w" "$n" "$nw" >"$dir/callgrind/$w.w$nw.$n.log" 2>&1 ||
          { cat "$dir/callgrind/$w.w$nw.$n.log"; exit 1; }
      done
      i1=$(sed -n 's/^summary: //p' "$dir/callgrind/$w.w$nw.$n1.out")
      i2=$(sed -n 's/^summary: //p' "$dir/callgrind/$w.w$nw.$n2.out")
      awk -v w="$w/workers:$nw" -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" \
        'BEGIN { printf "  %-24s %14.0f %14.0f %10.1f\n", w, a, b, (b - a) / (n2 - n1) }'
    done
  done
  for w in spawn_await yield; do
    echo "== instructions per operation by function: $w"
    bench/profile.sh "$dir/callgrind/$w.$n1.out" "$n1" \
      "$dir/callgrind/$w.$n2.out" "$n2" 30
  done
  for nw in $cg_workers; do
    for w in $sched_workloads; do
      echo "== instructions per operation by function: $w, $nw worker(s)"
      bench/profile.sh "$dir/callgrind/$w.w$nw.$n1.out" "$n1" \
        "$dir/callgrind/$w.w$nw.$n2.out" "$n2" 25
    done
  done
fi
