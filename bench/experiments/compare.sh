#!/usr/bin/env bash
# bench/experiments/compare.sh: a commit against itself with patches, side by
# side, on Google Benchmark's bodies (bench/micro).
#
#   bench/experiments/compare.sh [--at COMMIT] [--rounds N] [--reps N]
#                                [--filter REGEX] [--reuse] [--build-only]
#                                VARIANT...
#
# A VARIANT is "base" (the commit as it is) or patch names of this
# directory joined by "+" (without .patch), e.g.
#   inject-one-per-tick+notify-fence-load
# Each variant is an export of COMMIT (default HEAD; git archive) with its
# patches applied (patch -p1), built like bench/run.sh builds (RelWithDebInfo,
# no sanitizer), in build-bench-exp/VARIANT. After waiting (at most 15 min)
# for the CPUs to be idle, every round runs every variant once, in turn
# (--reps repetitions each, default 3; --rounds, default 2), so a burst of
# load elsewhere falls on all of them alike; bench_parallel (the two-thread
# floor) runs before every round. --filter picks the benchmarks (default
# '/workers:2/': issue 4's set at two workers). --reuse keeps the builds
# of an earlier call at the same commit instead of exporting and building
# again; --build-only stops after the builds (bench_micro, bench_count and
# bench_parallel in build-bench-exp/VARIANT/build/bench/).
# Prints, per benchmark and variant, the median ns_per_op over all rounds
# and repetitions with its min and max, then the medians of the counters
# (inject_pops, steals, parks). The JSON of every run stays in
# build-bench-exp/results/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here=bench/experiments

at=HEAD rounds=2 reps=3 filter=/workers:2/ reuse=0 build_only=0
variants=()
while [ $# -gt 0 ]; do
  case $1 in
  --at) at=${2:?}; shift ;;
  --rounds) rounds=${2:?}; shift ;;
  --reps) reps=${2:?}; shift ;;
  --filter) filter=${2:?}; shift ;;
  --reuse) reuse=1 ;;
  --build-only) build_only=1 ;;
  -*) sed -n '2,29p' "$0" >&2; exit 2 ;;
  *) variants+=("$1") ;;
  esac
  shift
done
[ ${#variants[@]} -gt 0 ] || { sed -n '2,29p' "$0" >&2; exit 2; }
commit=$(git rev-parse --short "$at^{commit}")
out=build-bench-exp
mkdir -p "$out/results"
rm -f "$out"/results/*.json

echo "== commit $commit; variants: ${variants[*]}"
for v in "${variants[@]}"; do
  if [ "$reuse" = 1 ] && [ -x "$out/$v/build/bench/bench_count" ] &&
    [ "$(cat "$out/$v/commit" 2>/dev/null)" = "$commit" ]; then
    echo "reused $v"
    continue
  fi
  src=$out/$v/src
  rm -rf "$src"
  mkdir -p "$src"
  git archive "$commit" | tar -x -C "$src"
  if [ "$v" != base ]; then
    IFS=+ read -ra patches <<<"$v"
    for p in "${patches[@]}"; do
      patch -s -p1 -d "$src" <"$here/$p.patch" ||
        { echo "compare.sh: $p.patch does not apply to $commit" >&2; exit 1; }
    done
  fi
  rm -rf "$out/$v/build"
  cmake -S "$src" -B "$out/$v/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWEFT_SANITIZE=none -DWEFT_CTX=auto -DWEFT_BUILD_BENCH=ON \
    -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >"$out/$v.configure.log" 2>&1 ||
    { cat "$out/$v.configure.log"; exit 1; }
  cmake --build "$out/$v/build" -j"$(nproc)" --target bench_micro bench_count bench_parallel \
    >"$out/$v.build.log" 2>&1 || { tail -n 30 "$out/$v.build.log"; exit 1; }
  echo "$commit" >"$out/$v/commit"
  echo "built $v"
done
[ "$build_only" = 0 ] || exit 0

cpu_busy() { # percent of all CPUs busy over SECONDS
  local u0 n0 s0 i0 w0 q0 sq0 u1 n1 s1 i1 w1 q1 sq1 b i
  read -r _ u0 n0 s0 i0 w0 q0 sq0 _ </proc/stat
  sleep "$1"
  read -r _ u1 n1 s1 i1 w1 q1 sq1 _ </proc/stat
  b=$(((u1 + n1 + s1 + q1 + sq1) - (u0 + n0 + s0 + q0 + sq0)))
  i=$(((i1 + w1) - (i0 + w0)))
  echo $((100 * b / (b + i + 1)))
}
deadline=$(($(date +%s) + 900))
while b=$(cpu_busy 5) && [ "$b" -ge 5 ] && [ "$(date +%s)" -lt "$deadline" ]; do
  echo "the CPUs are $b% busy: waiting"
done
echo "== start $(date -u '+%F %T UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= rounds; r++)); do
  "$out/${variants[0]}/build/bench/bench_parallel"
  for v in "${variants[@]}"; do
    "$out/$v/build/bench/bench_micro" --benchmark_filter="$filter" \
      --benchmark_repetitions="$reps" --benchmark_out_format=json \
      --benchmark_out="$out/results/$v.$r.json" >/dev/null 2>&1 ||
      { echo "compare.sh: $v failed" >&2; exit 1; }
  done
done
"$out/${variants[0]}/build/bench/bench_parallel"
echo "== end $(date -u '+%F %T UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/results" "${variants[@]}" <<'PY'
import collections, glob, json, os, statistics, sys
d, variants = sys.argv[1], sys.argv[2:]
ns = collections.defaultdict(list)
ctr = collections.defaultdict(list)
names = []
for v in variants:
    for f in sorted(glob.glob(os.path.join(d, v + ".*.json"))):
        for b in json.load(open(f))["benchmarks"]:
            if b.get("run_type") != "iteration":
                continue
            n = b["run_name"].replace("/iterations:1", "").replace("/manual_time", "")
            if n not in names:
                names.append(n)
            ns[n, v].append(b["ns_per_op"])
            ctr[n, v].append(tuple(b.get(k, 0) for k in ("inject_pops", "steals", "parks")))
print("ns_per_op: median (min-max) of all runs; then inject_pops / steals / parks per run, medians")
for n in names:
    print(n)
    for v in variants:
        x = ns[n, v]
        if not x:
            continue
        c = [statistics.median(col) for col in zip(*ctr[n, v])]
        print("  %-50s %8.1f (%.1f-%.1f, %d runs)   %.0f / %.0f / %.0f" % (
            v, statistics.median(x), min(x), max(x), len(x), *c))
PY
