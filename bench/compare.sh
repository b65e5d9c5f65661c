#!/usr/bin/env bash
# bench/compare.sh: THE one command of issue 8. Runs weft and its peers
# (Tokio multi-thread and current-thread, Go, asyncio, uvloop) on the same
# work and writes the tables and charts.
#
#   bench/compare.sh [--quick] [--no-install] [--out DIR] [--reps N]
#                    [--workers "1 2 4"] [--runtimes "weft go ..."]
#                    [--workloads "yield_many ..."]
#                    [--parts "sched memory echo floors scaling"]
#
#   --quick       a tenth of the work, 3 runs instead of 5, one memory and
#                 echo run each (aimed at under 5 minutes on an idle 2-CPU
#                 machine; bench/RESULTS.md gives the measured times)
#   --no-install  fail rather than install what is missing
#   --out DIR     where to write (default bench/results)
#   the others    narrow the run (bench/compare.py run --help)
#
# 1. installs what is missing (bench/deps.sh: Debian packages only);
# 2. builds weft (build-compare/: RelWithDebInfo, no sanitizer, the
#    benchmarks and examples/echo_server) and the peers (bench/peers/build/:
#    Tokio offline from Debian's crate sources, Go, nothing for Python);
# 3. runs every workload for every runtime at 1, 2 and 2 x (usable CPUs)
#    workers (an oversubscribed count), median of 5, the scaling run (1 to
#    every usable CPU), memory (100,000 and 1,000,000 sleeping tasks), the
#    echo servers under one load generator, and the floors;
# 4. writes DIR/raw.json, DIR/side-by-side.md and an SVG chart per workload
#    (bench/compare.py), and with the default DIR the same tables into
#    bench/RESULTS.md, between its marker lines. Progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="bench/compare.sh${*:+ $*}"
install=1 out="$here/results"
pass=()
while [ $# -gt 0 ]; do
  case $1 in
  --quick) pass+=(--quick) ;;
  --no-install) install=0 ;;
  --out) out=${2:?}; shift ;;
  --reps | --workers | --runtimes | --workloads | --parts) pass+=("$1" "${2:?}"); shift ;;
  *) sed -n '2,28p' "$0" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "$*" >&2; }

if [ "$install" = 1 ]; then
  "$here/deps.sh"
else
  "$here/deps.sh" --check
fi
[ -x "${HOME:-/root}/.cargo/bin/cargo" ] && PATH="$PATH:${HOME:-/root}/.cargo/bin"

# ---- build weft -------------------------------------------------------------
b="$root/build-compare"
log "== build weft ($b: RelWithDebInfo, no sanitizer)"
cmake -S "$root" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=none \
  -DWEFT_CTX=auto -DWEFT_BUILD_BENCH=ON -DWEFT_BUILD_TESTS=OFF \
  -DWEFT_BUILD_EXAMPLES=ON >"$b.configure.log" 2>&1 || { cat "$b.configure.log" >&2; exit 1; }
mv "$b.configure.log" "$b/configure.log"
cmake --build "$b" -j"$(nproc)" --target bench_side bench_floors bench_echo_load \
  bench_echo_floor example_echo_server >"$b/build.log" 2>&1 ||
  { tail -n 50 "$b/build.log" >&2; exit 1; }

# ---- build the peers --------------------------------------------------------
pb="$here/peers/build"
mkdir -p "$pb"
log "== build tokio (cargo build --release, offline from /usr/share/cargo/registry)"
# The lock file is not kept: it is resolved anew against whatever versions
# Debian's packages hold.
rm -f "$here/peers/tokio/Cargo.lock"
(cd "$here/peers/tokio" && CARGO_TARGET_DIR="$pb/tokio-target" cargo build --release --quiet) \
  >"$pb/tokio-build.log" 2>&1 || { cat "$pb/tokio-build.log" >&2; exit 1; }
log "== build go (go build)"
(cd "$here/peers/go" && GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod \
  GOCACHE="$pb/go-cache" go build -trimpath -o "$pb/go-peer" .) \
  >"$pb/go-build.log" 2>&1 || { cat "$pb/go-build.log" >&2; exit 1; }

# ---- run and report ---------------------------------------------------------
mkdir -p "$out"
# A run into the default directory also rewrites its part of RESULTS.md.
[ "$out" = "$here/results" ] && pass+=(--results-md "$here/RESULTS.md")
exec /usr/bin/python3 "$here/compare.py" run --out "$out" --weft-build "$b" \
  --peers-build "$pb" --command "$cmdline" "${pass[@]}"
