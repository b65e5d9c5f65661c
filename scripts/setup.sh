#!/usr/bin/env bash
# The README's first command: from a fresh clone on Debian 12 (as root),
# install the dependencies, build weft in build/ (RelWithDebInfo) and run
# the demo programs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=none
cmake --build build -j"$jobs"

# The demo: the examples that exist so far.
for demo in ordering fanout; do
  exe=build/examples/$demo
  if [ -x "$exe" ]; then
    printf '\n== %s\n' "$exe"
    "$exe"
  fi
done

printf '\nweft is built in build/. Run the tests with: bash scripts/test.sh\n'
