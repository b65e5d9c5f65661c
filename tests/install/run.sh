#!/usr/bin/env bash
# The install test (ctest name `install`): install a finished build into a
# fresh temporary prefix and build an outside program against it, as a user
# of weft would:
#   1. pkg-config --cflags --libs weft and plain cc (libweft.so);
#   2. pkg-config --static --libs weft, linking libweft.a (checks that the
#      private dependencies are all listed in weft.pc);
#   3. a CMake project with find_package(weft): weft::weft and
#      weft::weft_static.
# Each program must print the expected lines; the static ones must not need
# libweft.so at run time.
#
# usage: run.sh --build-dir DIR --consumer DIR [--config CFG] [--cmake CMAKE]
#               [--cc CC] [--keep]
set -euo pipefail

build_dir= consumer= config= cmake=cmake cc=${CC:-cc} keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --consumer) consumer=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --cmake) cmake=$2; shift 2 ;;
    --cc) cc=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$build_dir" ] && [ -n "$consumer" ] || {
  echo "usage: run.sh --build-dir DIR --consumer DIR [--config CFG]" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-install.XXXXXX")
if [ $keep = 0 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "keeping $tmp"; fi
prefix=$tmp/prefix

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

expected='child returned 42
weft_run returned 0'

# check NAME EXE: runs EXE and compares its output with $expected.
check() {
  local out
  out=$(timeout 30 "$2" 2>&1) ||
    fail "$1: exited with $? (124: timed out after 30 s) and printed: $out"
  [ "$out" = "$expected" ] || fail "$1: printed
$out
expected
$expected"
  echo "$1: ok"
}

# not_needing_libweft_so NAME EXE
not_needing_libweft_so() {
  if readelf -d "$2" | grep -q 'NEEDED.*libweft\.so'; then
    fail "$1 is linked statically but needs libweft.so"
  fi
}

step "cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" ${config:+--config "$config"}

pc=$(find "$prefix" -name weft.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no weft.pc installed under $prefix"
for f in include/weft.h include/weft/rt.h; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done
export PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
libdir=$(pkg-config --variable=libdir weft)
[ -f "$libdir/libweft.a" ] || fail "libweft.a not in $libdir"
ls "$libdir"/libweft.so* >/dev/null 2>&1 || fail "libweft.so not in $libdir"

step "pkg-config, shared"
cflags=$(pkg-config --cflags weft)
libs=$(pkg-config --libs weft)
echo "cflags: $cflags"
echo "libs:   $libs"
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$cc" -std=c17 -Wall -Wextra -Werror $cflags -o "$tmp/app_pc" "$consumer/main.c" \
  $libs -Wl,-rpath,"$libdir"
check "pkg-config shared" "$tmp/app_pc"

step "pkg-config --static"
slibs=$(pkg-config --static --libs weft)
echo "libs:   $slibs"
# Take libweft.a rather than libweft.so for -lweft; the rest as listed.
slibs=$(printf '%s\n' "$slibs" | sed 's/\(^\| \)-lweft\( \|$\)/\1-l:libweft.a\2/')
# shellcheck disable=SC2086
"$cc" -std=c17 -Wall -Wextra -Werror $cflags -o "$tmp/app_pc_static" \
  "$consumer/main.c" $slibs
not_needing_libweft_so "pkg-config static" "$tmp/app_pc_static"
check "pkg-config static" "$tmp/app_pc_static"

step "find_package(weft)"
# No PKG_CONFIG_PATH into the prefix here: find_package must find weft alone
# (pkg-config is still used for weft::weft_static's system dependencies).
env -u PKG_CONFIG_PATH "$cmake" -S "$consumer" -B "$tmp/consumer-build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror"
"$cmake" --build "$tmp/consumer-build"
check "find_package weft::weft" "$tmp/consumer-build/consumer"
not_needing_libweft_so "weft::weft_static" "$tmp/consumer-build/consumer_static"
check "find_package weft::weft_static" "$tmp/consumer-build/consumer_static"

echo
echo "install: all consumers built and ran"
