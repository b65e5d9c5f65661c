#!/usr/bin/env bash
# Installs the Debian 12 packages weft needs to build, test and lint, if any
# are missing. Idempotent and silent when everything is present: it asks dpkg
# first and only then runs apt-get (update, then install).
# Runs as root; otherwise it uses sudo if there is one.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libck-dev libjemalloc-dev libhwloc-dev  # the library's dependencies
  libudev-dev        # named by hwloc.pc's Libs.private: pkg-config --static weft
  libbenchmark-dev   # bench/
  libhttp-parser-dev # the HTTP example
  curl socat         # tests/examples: real clients against the servers
  python3            # tests/conformance: the asyncio side
  clang-format clang-tidy # scripts/lint.sh
  valgrind
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: these Debian packages are missing: ${missing[*]}" >&2
  echo "install-deps: run this script as root (or install sudo) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
