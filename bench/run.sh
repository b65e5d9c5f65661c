#!/usr/bin/env bash
# bench/run.sh: build the micro-benchmarks and measure them.
#
#   bench/run.sh [micro|callgrind|all]      (default: all)
#
#   micro      Google Benchmark, every workload, 5 repetitions, medians
#   callgrind  instructions per operation under valgrind --tool=callgrind
#              (repeatable, unlike time): each workload runs N1 and N2
#              operations and instr/op = (I(N2) - I(N1)) / (N2 - N1); then
#              where they go, per function, for spawn+await and yield
#              (bench/profile.sh)
#
# The build is its own tree, build-bench/ (or $WEFT_BENCH_DIR): RelWithDebInfo
# (-O2 -g), no sanitizer, the assembly context switch, no tests or examples.
# Outputs stay there: bench-micro.txt and .json, callgrind/*.out.
# WEFT_BENCH_FILTER (a regex) runs only some benchmarks; WEFT_BENCH_N1 and
# WEFT_BENCH_N2 change the callgrind counts.
# bench/RESULTS.md records one run and how to read it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:-all}
case $what in micro | callgrind | all) ;; *)
  sed -n '2,18p' "$0" >&2
  exit 2
  ;;
esac
dir=${WEFT_BENCH_DIR:-build-bench}
n1=${WEFT_BENCH_N1:-20000}
n2=${WEFT_BENCH_N2:-120000}
workloads="spawn_await yield yield_pair sleep0 ctx_switch"

echo "== machine"
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs online," \
  "$(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest; $(uname -srm)"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
if commit=$(git rev-parse --short HEAD 2>/dev/null); then
  git diff --quiet HEAD -- rt io include CMakeLists.txt ||
    commit="$commit, with uncommitted changes in rt/, io/, include/ or CMakeLists.txt"
else
  commit="not a git checkout"
fi
echo "commit: $commit"
# Other processes on this 2-CPU machine move the timings: look at this first.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build ($dir: RelWithDebInfo, no sanitizer)"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=none \
  -DWEFT_CTX=auto -DWEFT_BUILD_BENCH=ON -DWEFT_BUILD_TESTS=OFF \
  -DWEFT_BUILD_EXAMPLES=OFF >"$dir.configure.log" 2>&1 ||
  { cat "$dir.configure.log"; exit 1; }
mv "$dir.configure.log" "$dir/configure.log"
cmake --build "$dir" -j"$(nproc)" --target bench_micro bench_count \
  >"$dir/build.log" 2>&1 || { tail -n 50 "$dir/build.log"; exit 1; }
if [ ! -x "$dir/bench/bench_micro" ]; then
  echo "run.sh: no benchmarks were built (is libbenchmark-dev installed?)" >&2
  exit 1
fi

if [ "$what" != callgrind ]; then
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
  echo "medians of 5 (Time: per iteration; ns_per_op: per operation; cv: spread of the 5):"
  awk '/_median / || /_cv / {
         name = $1; sub(/\/manual_time/, "", name)
         split(name, p, "_median|_cv"); base = p[1]
         op = "?"
         for (i = 2; i <= NF; i++) if ($i ~ /^ns_per_op=/) { op = $i; sub(/ns_per_op=/, "", op) }
         if (name ~ /_median$/) { t[base] = $2 " " $3; o[base] = op; order[++n] = base }
         else cv[base] = $2 " " $3
       }
       END {
         printf "  %-22s %14s %12s %8s\n", "benchmark", "Time", "ns_per_op", "cv"
         for (i = 1; i <= n; i++) { b = order[i]
           printf "  %-22s %14s %12s %8s\n", b, t[b], o[b], cv[b] }
       }' "$dir/bench-micro.txt"
fi

if [ "$what" != micro ]; then
  echo "== callgrind: valgrind --tool=callgrind $dir/bench/bench_count WORKLOAD N, N = $n1 and $n2"
  mkdir -p "$dir/callgrind"
  printf "  %-12s %14s %14s %10s\n" workload "Ir at $n1" "Ir at $n2" "instr/op"
  for w in $workloads; do
    for n in $n1 $n2; do
      valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind/$w.$n.out" \
        "$dir/bench/bench_count" "$w" "$n" >"$dir/callgrind/$w.$n.log" 2>&1 ||
        { cat "$dir/callgrind/$w.$n.log"; exit 1; }
    done
    i1=$(sed -n 's/^summary: //p' "$dir/callgrind/$w.$n1.out")
    i2=$(sed -n 's/^summary: //p' "$dir/callgrind/$w.$n2.out")
    awk -v w="$w" -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" \
      'BEGIN { printf "  %-12s %14d %14d %10.1f\n", w, a, b, (b - a) / (n2 - n1) }'
  done
  for w in spawn_await yield; do
    echo "== instructions per operation by function: $w"
    bench/profile.sh "$dir/callgrind/$w.$n1.out" "$n1" \
      "$dir/callgrind/$w.$n2.out" "$n2" 30
  done
fi
