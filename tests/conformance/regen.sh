#!/bin/sh
# Regenerates every NAME.expected from NAME.py with CPython 3.11, the pinned
# version the expected outputs come from (DESIGN.md section 9).
#
#   regen.sh            rewrite the committed NAME.expected files
#   regen.sh --check    regenerate into a temporary directory and fail (exit 1)
#                       if anything differs from the committed files, or if a
#                       case lacks its .py, .c or .expected
#
# The interpreter is $PYTHON if set, else python3 if it is 3.11, else
# python3.11. Exits 77 (ctest's skip code for conformance.regen) when no
# CPython 3.11 is found: it never writes outputs from another version.
# Cases in derived/ come from a newer CPython and are left alone (derived/README).
set -eu

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

dir=$(cd "$(dirname "$0")" && pwd)
cd "$dir"

want=3.11
probe='import platform, sys; print(platform.python_implementation(), "%d.%d" % sys.version_info[:2])'
is_pinned() { [ "$("$1" -c "$probe" 2>/dev/null || true)" = "CPython $want" ]; }

if [ -n "${PYTHON:-}" ]; then
  py=$PYTHON
elif command -v python3 >/dev/null 2>&1 && is_pinned python3; then
  py=python3
else
  py=python$want
fi
if ! command -v "$py" >/dev/null 2>&1 || ! is_pinned "$py"; then
  found=$("$py" -c "$probe" 2>/dev/null || true)
  [ -n "$found" ] || found="not a working Python"
  echo "regen.sh: the expected outputs come from CPython $want only;" \
       "$py is $found. Install CPython $want or set PYTHON to one." >&2
  exit 77
fi

out=$dir
if [ $check = 1 ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

status=0
for py_file in *.py; do
  name=${py_file%.py}
  for ext in c expected; do
    if [ $check = 1 ] && [ ! -f "$name.$ext" ]; then
      echo "regen.sh: $name.py has no $name.$ext" >&2
      status=1
    fi
  done
  # -u: unbuffered, so a crash still leaves what was printed before it.
  if ! "$py" -u "$py_file" > "$out/$name.expected.tmp"; then
    echo "regen.sh: $py_file failed" >&2
    status=1
    continue
  fi
  mv "$out/$name.expected.tmp" "$out/$name.expected"
  if [ $check = 1 ] && ! diff -u "$name.expected" "$out/$name.expected"; then
    echo "regen.sh: $name.expected differs from what CPython $want prints" >&2
    status=1
  fi
done
for expected in *.expected; do
  [ $check = 1 ] || break
  [ -f "${expected%.expected}.py" ] && continue
  echo "regen.sh: $expected has no ${expected%.expected}.py" >&2
  status=1
done
if [ $status = 0 ] && [ $check = 1 ]; then
  echo "regen.sh: every expected output matches CPython $want"
fi
exit $status
