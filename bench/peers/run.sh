#!/usr/bin/env bash
# bench/peers/run.sh: weft's scheduler workloads, written for its peers, built
# and measured side by side.
#
#   bench/peers/run.sh [--quick] [--workers "1 2"] [--reps N]
#                      [--runtimes "tokio-mt tokio-ct go asyncio uvloop"]
#                      [--workloads "spawn_many yield_many ..."] [--no-install]
#                      [--wait-idle SECONDS]
#
#   --quick      a tenth of the operations and 3 repetitions (under 5 minutes)
#   --workers    worker counts to run (default "1 2"); Tokio's multi-thread
#                runtime gets that many worker threads, Go that GOMAXPROCS;
#                tokio-ct (current_thread), asyncio and uvloop have one thread
#                and run only where the list has 1
#   --reps       repetitions (default 5, quick 3)
#   --no-install do not install missing packages (fail instead)
#   --wait-idle  before the runs, wait up to SECONDS for the CPUs to be less
#                than 10% busy over 5 s (others' builds share this machine)
#
# Installs what is missing with apt-get (Debian package names only), builds
# every peer in release mode into bench/peers/build/, runs every workload for
# every runtime and worker count (repetitions taken round-robin, so that a
# burst of load from elsewhere hits every runtime alike), and writes the
# medians as TSV to stdout and bench/peers/results.tsv: '#' lines say how and
# when, then a header row, then one row per runtime, worker count and
# workload. Progress goes to stderr. bench/README.md says how to read it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
cmdline="bench/peers/run.sh${*:+ $*}"

quick=0 workers="1 2" reps="" install=1 wait_idle=0
runtimes="tokio-mt tokio-ct go asyncio uvloop"
workloads="spawn_many yield_many ping_pong chained_spawn timers spawn_await yield"
usage() { sed -n '2,20p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
  --quick) quick=1 ;;
  --workers) workers=${2:?}; shift ;;
  --reps) reps=${2:?}; shift ;;
  --runtimes) runtimes=${2:?}; shift ;;
  --workloads) workloads=${2:?}; shift ;;
  --no-install) install=0 ;;
  --wait-idle) wait_idle=${2:?}; shift ;;
  *) usage ;;
  esac
  shift
done
[ -n "$reps" ] || reps=$((quick ? 3 : 5))
for w in $workers; do
  [[ $w =~ ^[1-9][0-9]?$ ]] || { echo "run.sh: worker count '$w': 1 to 99" >&2; exit 2; }
done
[[ $reps =~ ^[1-9][0-9]?$ ]] || { echo "run.sh: --reps '$reps': 1 to 99" >&2; exit 2; }
[[ $wait_idle =~ ^[0-9]{1,5}$ ]] || { echo "run.sh: --wait-idle '$wait_idle': seconds" >&2; exit 2; }
for r in $runtimes; do
  case $r in tokio-mt | tokio-ct | go | asyncio | uvloop) ;; *) usage ;; esac
done

log() { echo "$*" >&2; }

# ---- sizes ----------------------------------------------------------------
# Operations per run ("A B", as the peer programs take them). Tokio and Go run
# the workloads at the sizes of issue 4 and issue 8; asyncio is 20-50 times
# slower per operation, so it runs a tenth of them (the same number of tasks,
# fewer operations each; spawn_many and spawn_await fewer tasks). --quick
# takes a tenth again, except timers (100,000 sleepers is the workload). The
# ops_per_run column of the table gives the count behind every figure.
size() { # size WORKLOAD native|python
  local s
  case $1 in
  spawn_many) s="1000000" ;;      # tasks spawned from one task
  yield_many) s="1000 10000" ;;   # tasks, yields each
  ping_pong) s="1000 1000" ;;     # pairs, round trips each
  chained_spawn) s="1000 1000" ;; # chain length, chains
  timers) echo "100000 1"; return ;; # tasks, ms each
  spawn_await) s="1000000" ;;
  yield) s="10000000" ;;
  esac
  local div=1
  [ "$2" = python ] && div=$((div * 10))
  [ "$quick" = 1 ] && div=$((div * 10))
  local -a a
  read -ra a <<<"$s"
  if [ ${#a[@]} = 2 ]; then echo "${a[0]} $((a[1] / div))"; else echo "$((a[0] / div))"; fi
}
ops() { # ops "A B" WORKLOAD: operations in one run
  local -a a
  read -ra a <<<"$1"
  case $2 in spawn_many | timers | spawn_await | yield) echo "${a[0]}" ;; *) echo $((a[0] * a[1])) ;; esac
}
# Seconds one run of one peer may take before it is killed (and reported).
limit=$((quick ? 60 : 300))

# ---- install what is missing ------------------------------------------------
[ -x "${HOME:-/root}/.cargo/bin/cargo" ] && PATH="$PATH:${HOME:-/root}/.cargo/bin"
py=/usr/bin/python3 # Debian's, where python3-uvloop installs
missing=()
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
want() { # want PACKAGE: listed as missing unless installed
  has_pkg "$1" || missing+=("$1")
}
case " $runtimes " in *" tokio-"*)
  want librust-tokio-dev
  if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
    want cargo
    want rustc
  fi
  ;;
esac
case " $runtimes " in *" go "*) command -v go >/dev/null || want golang-go ;; esac
case " $runtimes " in *" asyncio "* | *" uvloop "*) [ -x $py ] || want python3 ;; esac
case " $runtimes " in *" uvloop "*)
  if ! [ -x $py ] || ! $py -c 'import uvloop' 2>/dev/null; then want python3-uvloop; fi ;;
esac
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$install" = 0 ]; then
    log "run.sh: missing ${missing[*]} (and --no-install)"
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "== installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet.
  if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$here/apt.log" 2>&1; then
    $sudo apt-get update -qq >>"$here/apt.log" 2>&1
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >>"$here/apt.log" 2>&1 || { cat "$here/apt.log" >&2; exit 1; }
  fi
fi

# ---- build ----------------------------------------------------------------
build=$here/build
mkdir -p "$build"
tokio=$build/tokio-target/release/tokio-peer
gopeer=$build/go-peer
versions=()
case " $runtimes " in *" tokio-"*)
  log "== build tokio (cargo build --release, offline from /usr/share/cargo/registry)"
  # The lock file is not kept: it is resolved anew against whatever
  # versions Debian's packages hold (and whichever cargo writes it).
  rm -f tokio/Cargo.lock
  (cd tokio && CARGO_TARGET_DIR=$build/tokio-target cargo build --release \
    --quiet) >"$build/tokio-build.log" 2>&1 ||
    { cat "$build/tokio-build.log" >&2; exit 1; }
  tv=$(awk '/^name = "tokio"$/ { getline; gsub(/[^0-9.]/, ""); print }' tokio/Cargo.lock)
  versions+=("tokio $tv (Debian librust-tokio-dev $(dpkg-query -W -f='${Version}' librust-tokio-dev 2>/dev/null || echo '?')), $(rustc --version)")
  ;;
esac
case " $runtimes " in *" go "*)
  log "== build go (go build)"
  (cd go && GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod \
    GOCACHE=$build/go-cache go build -trimpath -o "$gopeer" .) \
    >"$build/go-build.log" 2>&1 || { cat "$build/go-build.log" >&2; exit 1; }
  versions+=("$(go version)")
  ;;
esac
case " $runtimes " in *" asyncio "* | *" uvloop "*)
  versions+=("asyncio: $py, $($py --version 2>&1)")
  case " $runtimes " in *" uvloop "*)
    versions+=("uvloop $($py -c 'import uvloop; print(uvloop.__version__)')") ;;
  esac
  ;;
esac

# ---- run --------------------------------------------------------------------
# The configurations: "runtime workers".
configs=()
for r in $runtimes; do
  for w in $workers; do
    case $r in tokio-ct | asyncio | uvloop) [ "$w" = 1 ] || continue ;; esac
    configs+=("$r $w")
  done
done
cmd=()
cmd_of() { # cmd_of RUNTIME WORKERS WORKLOAD: the command for one run, in cmd
  local -a sz
  case $1 in
  tokio-mt) read -ra sz <<<"$(size "$3" native)"; cmd=("$tokio" multi_thread "$2" "$3" 1 "${sz[@]}") ;;
  tokio-ct) read -ra sz <<<"$(size "$3" native)"; cmd=("$tokio" current_thread 1 "$3" 1 "${sz[@]}") ;;
  go) read -ra sz <<<"$(size "$3" native)"; cmd=(env "GOMAXPROCS=$2" "$gopeer" "$3" 1 "${sz[@]}") ;;
  asyncio | uvloop) read -ra sz <<<"$(size "$3" python)"; cmd=("$py" "$here/python/peers.py" "$1" "$3" 1 "${sz[@]}") ;;
  esac
}

# How busy the CPUs are before we start (the load average of this VM moves
# slowly and counts more than CPU use): look at this first.
cpu_busy() { # cpu_busy SECONDS: percent of all CPUs busy over that time
  local u0 n0 s0 i0 w0 q0 sq0 u1 n1 s1 i1 w1 q1 sq1 b i
  read -r _ u0 n0 s0 i0 w0 q0 sq0 _ </proc/stat
  sleep "$1"
  read -r _ u1 n1 s1 i1 w1 q1 sq1 _ </proc/stat
  b=$(((u1 + n1 + s1 + q1 + sq1) - (u0 + n0 + s0 + q0 + sq0)))
  i=$(((i1 + w1) - (i0 + w0)))
  echo $((100 * b / (b + i + 1)))
}
if [ "$wait_idle" -gt 0 ]; then
  deadline=$(($(date +%s) + wait_idle))
  while b=$(cpu_busy 5) && [ "$b" -ge 10 ] && [ "$(date +%s)" -lt "$deadline" ]; do
    log "run.sh: the CPUs are $b% busy: waiting (until $(date -u -d "@$deadline" +%T) UTC at most)"
  done
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy_before=$(cpu_busy 2)
if [ "$busy_before" -gt 10 ]; then
  log "run.sh: the CPUs were $busy_before% busy before the run: something else is running, figures will be noisy"
fi
declare -A got # "runtime workers workload" -> the figures, one per line
start=$(date +%s)
started=$(date -u -d "@$start" '+%Y-%m-%d %H:%M:%S UTC')
read -r _ u0 n0 s0 i0 w0 q0 sq0 _ </proc/stat
for ((rep = 1; rep <= reps; rep++)); do
  log "== repetition $rep of $reps ($(($(date +%s) - start)) s so far)"
  for wl in $workloads; do
    for c in "${configs[@]}"; do
      read -r rt nw <<<"$c"
      key="$rt $nw $wl"
      # One process per run: a run warms up with a tenth of its work first.
      cmd_of "$rt" "$nw" "$wl"
      if out=$(timeout -k 5 "$limit" "${cmd[@]}" 2>"$build/err.txt"); then
        got[$key]+="$out"$'\n'
      else
        log "run.sh: $key failed or took over $limit s: $(head -c 300 "$build/err.txt")"
      fi
    done
  done
done
read -r _ u1 n1 s1 i1 w1 q1 sq1 _ </proc/stat
busy=$(((u1 + n1 + s1 + q1 + sq1) - (u0 + n0 + s0 + q0 + sq0)))
idle=$(((i1 + w1) - (i0 + w0)))

# ---- report -----------------------------------------------------------------
{
  echo "# command: $cmdline"
  echo "# date: $started (start of the runs), took $(($(date +%s) - start)) s"
  echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs online," \
    "$(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest; $(uname -srm)"
  echo "# CPUs busy: $busy_before% in the 2 s before the runs, $((100 * busy / (busy + idle + 1)))% during them" \
    "(all $(nproc); a one-thread peer alone keeps $((100 / $(nproc)))% busy);" \
    "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  for v in "${versions[@]}"; do echo "# $v"; done
  echo "# ns_per_op: median, min and max of the runs (reps) of ops_per_run operations each"
  printf 'runtime\tworkers\tworkload\tns_per_op\tmin\tmax\treps\tops_per_run\n'
  for wl in $workloads; do
    for c in "${configs[@]}"; do
      read -r rt nw <<<"$c"
      key="$rt $nw $wl"
      case $rt in asyncio | uvloop) n=$(ops "$(size "$wl" python)" "$wl") ;;
      *) n=$(ops "$(size "$wl" native)" "$wl") ;; esac
      printf '%s' "${got[$key]:-}" | sort -g | awk -v r="$rt" -v w="$nw" -v l="$wl" -v n="$n" '
        NF { v[++k] = $1 }
        END {
          if (k == 0) { printf "%s\t%s\t%s\tNA\tNA\tNA\t0\t%s\n", r, w, l, n; exit }
          m = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
          printf "%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%d\t%s\n", r, w, l, m, v[1], v[k], k, n
        }'
    done
  done
} | tee "$here/results.tsv"
