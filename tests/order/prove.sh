#!/bin/sh
# prove.sh BIN_DIR CONFORMANCE_DIR MIN_SENSITIVE CASE...
# Runs each conformance case (built against the WEFT_TEST_ORDER library as
# BIN_DIR/order_CASE) unperturbed, which must match CASE.expected, then under
# a LIFO slot and three shuffled orders. A case that prints differently under
# any perturbation is order-sensitive. Passes when all match unperturbed and
# at least MIN_SENSITIVE cases are order-sensitive.
bin=$1 conf=$2 min=$3
shift 3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
sensitive=0 total=0 broken=0
for c in "$@"; do
  total=$((total + 1))
  if ! env -u WEFT_TEST_ORDER "$bin/order_$c" >"$out" 2>/dev/null ||
    ! cmp -s "$out" "$conf/$c.expected"; then
    echo "BROKEN   $c: differs from CPython even unperturbed"
    broken=$((broken + 1))
    continue
  fi
  hit=""
  for mode in lifo random:1 random:2 random:3; do
    WEFT_TEST_ORDER=$mode "$bin/order_$c" >"$out" 2>/dev/null
    cmp -s "$out" "$conf/$c.expected" || hit="$hit $mode"
  done
  if [ -n "$hit" ]; then
    sensitive=$((sensitive + 1))
    echo "ORDER    $c: differs under$hit"
  else
    echo "SAME     $c: prints the same under every perturbation"
  fi
done
echo "order proof: $sensitive of $total cases are order-sensitive (need $min); $broken broken"
[ "$broken" -eq 0 ] && [ "$sensitive" -ge "$min" ]
