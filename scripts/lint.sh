#!/usr/bin/env bash
# Lint: clang-format (the format in .clang-format) and clang-tidy (the checks
# in .clang-tidy, with the compile commands of build/) over the library,
# its public headers and the examples. Exits non-zero on any finding.
#   bash scripts/lint.sh            everything
#   bash scripts/lint.sh --format   clang-format only
#   bash scripts/lint.sh --tidy     clang-tidy only
# Configures build/ if it has no compile_commands.json yet.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

do_format=1 do_tidy=1
case ${1:-} in
  --format) do_tidy=0 ;;
  --tidy) do_format=0 ;;
  "") ;;
  *) echo "usage: lint.sh [--format|--tidy]" >&2; exit 2 ;;
esac

dirs=(rt io sync include examples tools)
mapfile -t files < <(git ls-files -- "${dirs[@]/%//*.c}" "${dirs[@]/%//*.h}" |
  grep -E '\.(c|h)$' || true)
if [ ${#files[@]} -eq 0 ]; then
  echo "lint: no C files under ${dirs[*]}"
  exit 0
fi
status=0

if [ $do_format = 1 ]; then
  echo "== clang-format (${#files[@]} files)"
  unformatted=0
  for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
      clang-format "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" -
      unformatted=$((unformatted + 1))
    fi
  done
  if [ $unformatted -eq 0 ]; then
    echo "clang-format: clean"
  else
    echo "clang-format: $unformatted files differ (fix with clang-format -i FILE)"
    status=1
  fi
fi

if [ $do_tidy = 1 ]; then
  db=build/compile_commands.json
  if [ ! -f $db ]; then
    cmake -S . -B build >/dev/null || { echo "lint: cannot configure build/"; exit 1; }
  fi
  # Only the sources build/ compiles have compile commands; say which not.
  mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep -E '\.c$' |
    while read -r f; do
      if grep -qF "\"file\": \"$root/$f\"" $db; then
        echo "$f"
      else
        echo "clang-tidy: skipped $f (not in $db)" >&2
      fi
    done)
  echo "== clang-tidy (${#sources[@]} sources and the headers they include)"
  if [ ${#sources[@]} -gt 0 ]; then
    jobs=$(nproc 2>/dev/null || echo 2)
    out=$(mktemp)
    # -header-filter: only the project's own headers, not /usr/include.
    printf '%s\n' "${sources[@]}" |
      xargs -P "$jobs" -n 1 clang-tidy -p build --quiet \
        -header-filter="^$root/(rt|io|sync|include|examples|tools)/" \
        --extra-arg=-Wno-unknown-warning-option >"$out" 2>&1
    tidy_rc=$?
    # A header's findings repeat once per source that includes it.
    grep -E '^/.*: (warning|error): ' "$out" | sort -u >"$out.findings"
    n=$(wc -l <"$out.findings")
    if [ $tidy_rc -ne 0 ] || [ "$n" -gt 0 ]; then
      grep -vE '^[0-9]+ (warning|error)s? (and [0-9]+ errors? )?generated\.$' "$out"
      echo "clang-tidy: $n distinct findings"
      status=1
    else
      echo "clang-tidy: clean"
    fi
    rm -f "$out" "$out.findings"
  fi
fi

exit $status
