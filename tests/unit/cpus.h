/* tests/unit/cpus.h: two CPUs for tests that pin threads (spin,
 * spin_quiet). */
#ifndef WEFT_TESTS_CPUS_H
#define WEFT_TESTS_CPUS_H
#include <sched.h>
#include <stdbool.h>

#include "check.h"

/* Pins the calling thread to cpu. */
static inline void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0);
}

/* The first two CPUs the process may run on, in *a and *b; false if it may
 * run on fewer than two (the caller then exits 77, skipped). */
static inline bool two_cpus(int *a, int *b) {
  cpu_set_t all;
  CHECK_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  if (CPU_COUNT(&all) < 2)
    return false;
  int i = 0;
  while (!CPU_ISSET(i, &all))
    i++;
  *a = i++;
  while (!CPU_ISSET(i, &all))
    i++;
  *b = i;
  return true;
}

#endif /* WEFT_TESTS_CPUS_H */
