#!/usr/bin/env bash
# The README's second command: build and run every test suite.
#   build/          the normal build (RelWithDebInfo), as scripts/setup.sh makes it
#   build-asan/     AddressSanitizer + UndefinedBehaviorSanitizer
#   build-tsan/     ThreadSanitizer (a failed test is retried once: the
#                   conformance cases space timers 10 ms apart, and TSan on a
#                   loaded 2-core machine can be that slow to start a task)
#   build-ucontext/ the portable ucontext context switch, so the fallback
#                   other architectures use is tested here too
#   build-stress/   TSan with 4-slot run queues and randomised scheduling
#                   choices (WEFT_STRESS_BUILD): overflow, steal contention
#                   and rare interleavings all the time
# and then the lint (clang-format and clang-tidy, scripts/lint.sh).
# Each suite runs through `ctest --output-on-failure -j2`. Every suite runs
# even when the first fails; the exit status is non-zero if either failed
# (to build, or in a test) or ran no test at all.
# Works on a fresh clone: it configures what is not configured yet.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
failed=()
total_pass=0
total_fail=0

# suite NAME DIR CMAKE-ARGS...: configure, build and test one build directory.
suite() {
  local name=$1 dir=$2
  shift 2
  printf '\n==== %s suite (%s)\n' "$name" "$dir"
  mkdir -p "$dir"
  if ! cmake -S . -B "$dir" "$@" >"$dir/test-configure.log" 2>&1; then
    cat "$dir/test-configure.log"
    echo "test.sh: configuring $dir failed"
    failed+=("$name (configure)")
    return
  fi
  echo "building $dir (log: $dir/test-build.log)"
  if ! cmake --build "$dir" -j"$jobs" >"$dir/test-build.log" 2>&1; then
    grep -E -B2 -A8 'error|Error' "$dir/test-build.log" | head -n 200
    echo "test.sh: building $dir failed (full log: $dir/test-build.log)"
    failed+=("$name (build)")
    return
  fi
  local log=$dir/test-ctest.log rc
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j2 ${CTEST_EXTRA:-}) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # "100% tests passed, 0 tests failed out of 12"
  local line pass=0 fail=0
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    fail=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
    pass=$(( $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line") - fail ))
    # ctest counts a disabled test (tests/unit/CMakeLists.txt says why)
    # among those "out of", not among the failed: it did not pass either.
    pass=$((pass - $(grep -c '(Disabled)$' "$log" || true)))
  fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  if grep -q 'No tests were found' "$log"; then
    failed+=("$name (ran no test)")
  elif [ "$rc" -ne 0 ]; then
    failed+=("$name")
  fi
}

suite normal build -DWEFT_SANITIZE=none

suite asan build-asan -DWEFT_SANITIZE=address -DWEFT_BUILD_BENCH=OFF

CTEST_EXTRA="--repeat until-pass:2" \
  suite tsan build-tsan -DWEFT_SANITIZE=thread -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF

suite ucontext build-ucontext -DWEFT_CTX=ucontext -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF

# No retry here: a failure in this build is a real interleaving. The
# conformance cases (one worker, timing-based) already ran under TSan.
CTEST_EXTRA="-LE conformance" \
  suite stress build-stress -DWEFT_SANITIZE=thread -DWEFT_STRESS_BUILD=ON -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF

printf '\n==== lint\n'
if ! bash scripts/lint.sh; then
  failed+=("lint")
fi

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "test.sh: every suite passed"
else
  echo "test.sh: FAILED: ${failed[*]}"
fi
echo "total: $total_pass passed, $total_fail failed"
[ ${#failed[@]} -eq 0 ]
