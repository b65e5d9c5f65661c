#!/usr/bin/env bash
# bench/deps.sh: installs what bench/compare.sh needs and the machine lacks,
# by Debian package name only (apt-get), quietly when all is there.
#
#   bench/deps.sh [--check]     (--check: list what is missing, exit 1 if any)
#
# - weft's build: cmake, a C compiler, libbenchmark-dev, libhwloc-dev (the
#   project's own scripts/install-deps.sh installs the rest of weft's build)
# - the charts: gnuplot-nox
# - Tokio: librust-tokio-dev (Debian's crate sources under
#   /usr/share/cargo/registry; the features bench/peers/tokio/Cargo.toml
#   asks for are provided by it), and cargo + rustc only if the machine has
#   no cargo at all (a rustup toolchain in ~/.cargo/bin is used as it is)
# - Go: golang-go; asyncio: python3; uvloop: python3-uvloop
# - callgrind: valgrind
set -euo pipefail
check=0
[ "${1:-}" = --check ] && check=1
[ -x "${HOME:-/root}/.cargo/bin/cargo" ] && PATH="$PATH:${HOME:-/root}/.cargo/bin"

missing=()
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
want() { has_pkg "$1" || missing+=("$1"); }

want cmake
want libbenchmark-dev
want libhwloc-dev
want gnuplot-nox
want librust-tokio-dev
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  want cargo
  want rustc
fi
command -v go >/dev/null || want golang-go
want python3
if ! /usr/bin/python3 -c 'import uvloop' 2>/dev/null; then want python3-uvloop; fi
want valgrind

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$check" = 1 ]; then
  echo "missing: ${missing[*]}"
  exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
log=$(mktemp)
echo "bench/deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update only if needed.
if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  $sudo apt-get update -qq >>"$log" 2>&1
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
    { cat "$log" >&2; rm -f "$log"; exit 1; }
fi
rm -f "$log"
