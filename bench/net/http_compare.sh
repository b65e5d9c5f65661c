#!/usr/bin/env bash
# bench/net/http_compare.sh: weft's examples/http_server against Go's net/http
# (bench/net/http_go) under wrk, the same page, the same client, one run.
#
#   bash bench/net/http_compare.sh [ROUNDS [SECONDS [CONNECTIONS]]]
#       defaults: 5 rounds, 5 s each, 100 connections (wrk -t1)
#
# Both servers use every core (weft: one worker per core; Go: GOMAXPROCS is
# the core count). The servers take turns, round by round, so a change in the
# machine's load falls on both; each round warms the server for 1 s first.
# Prints, per server, the median over the rounds of requests/s, wrk's p50 and
# p99 latency, and the server's CPU time per request (user + system from
# /proc/PID/stat over the measured run), then the ratios weft/Go. Writes the
# same as markdown to bench/results/http-wrk.md with the machine line, the
# versions and the command. Installs wrk and golang-go if they are missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-5}
secs=${2:-5}
conns=${3:-100}
build=${HTTP_BENCH_BUILD:-build-bench-http}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v go >/dev/null || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" \
    </dev/null >/dev/null
fi

echo "== build weft (Release) in $build, and the Go server"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEFT_SANITIZE=none \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target example_http_server >/dev/null
mkdir -p "$build/go-cache"
(cd bench/net/http_go && GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod \
  GOCACHE="$PWD/../../../$build/go-cache" \
  go build -trimpath -o "../../../$build/http_go" .)

port=$((20000 + RANDOM % 20000))
ticks=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME CMD...: one round against one server; appends "rps p50 p99 cpu_us"
# to $out/NAME.
run() {
  local name=$1
  shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.05
  done
  wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port/" >/dev/null
  local c0 c1 res
  c0=$(cpu_ticks $pid)
  res=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/")
  c1=$(cpu_ticks $pid)
  kill $pid
  wait $pid 2>/dev/null || true
  awk -v c="$((c1 - c0))" -v hz="$ticks" '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000;
                     if (v ~ /s$/) return v * 1e6; return v }
    /^ +50%/ { p50 = us($2) } /^ +99%/ { p99 = us($2) }
    /^Requests\/sec:/ { rps = $2 } /requests in/ { n = $1 }
    END { printf "%.0f %.1f %.1f %.2f\n", rps, p50, p99, c / hz * 1e6 / n }' \
    <<<"$res" >>"$out/$name"
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq "$rounds"); do
  echo "== round $r of $rounds"
  run weft "$build/examples/http_server" "$port"
  run go env GOMAXPROCS="$(nproc)" "$build/http_go" "$port"
done

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { awk -v k="$2" '{print $k}' "$out/$1" | median; }

mkdir -p bench/results
md=bench/results/http-wrk.md
{
  echo "# HTTP: weft's http_server against Go's net/http under wrk"
  echo
  echo "Written by \`bash bench/net/http_compare.sh $rounds $secs $conns\` on $(date -u +%Y-%m-%d)"
  echo "at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "Client: $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2) \`-t1 -c$conns -d${secs}s\`; $(go version | cut -d' ' -f3); both servers on every core."
  echo "Medians of $rounds rounds, the servers taking turns."
  echo
  echo "| server | requests/s | p50 µs | p99 µs | server CPU µs/request |"
  echo "|---|---:|---:|---:|---:|"
  for s in weft go; do
    echo "| $s | $(col $s 1) | $(col $s 2) | $(col $s 3) | $(col $s 4) |"
  done
  awk -v a="$(col weft 1)" -v b="$(col go 1)" -v c="$(col weft 4)" -v d="$(col go 4)" \
    'BEGIN { printf "\nweft/Go: requests/s %.2fx, server CPU per request %.2fx\n", a / b, c / d }'
} >"$md"
cat "$md"
