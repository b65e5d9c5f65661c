#!/bin/sh
# Runs one conformance program and compares its stdout, line for line, with
# the output CPython printed for the asyncio program it mirrors.
#   compare.sh PROGRAM EXPECTED
set -u
[ $# = 2 ] || { echo "usage: $0 PROGRAM EXPECTED" >&2; exit 2; }
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
"$1" > "$actual"
rc=$?
status=0
if ! diff -u --label "expected (CPython)" --label "actual (weft)" "$2" "$actual"; then
  echo "compare.sh: $(basename "$1") printed differently from $(basename "$2")" >&2
  status=1
fi
if [ $rc != 0 ]; then
  echo "compare.sh: $(basename "$1") exited with status $rc" >&2
  status=1
fi
exit $status
