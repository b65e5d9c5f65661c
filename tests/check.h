/*
 * tests/check.h: the unit tests' assertions. A failed check prints the
 * expression, the values and file:line, and exits non-zero at once (each test
 * executable runs in its own process under ctest).
 */
#ifndef WEFT_TESTS_CHECK_H
#define WEFT_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <weft.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      fflush(stdout);                                                          \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long va_ = (long long)(a), vb_ = (long long)(b);                      \
    if (va_ != vb_) {                                                          \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n",     \
              __FILE__, __LINE__, #a, #b, va_, vb_);                           \
      fflush(stdout);                                                          \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* The number of memory maps of this process. */
static inline int count_maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  CHECK(f);
  int n = 0, c;
  while ((c = fgetc(f)) != EOF)
    n += c == '\n';
  fclose(f);
  return n;
}

/* Runs fn as the main task of a fresh runtime with n workers and checks it
 * returned 0. */
static inline int check_run_workers(weft_fn fn, int n) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = n;
  return weft_run(&cfg, fn, NULL, NULL);
}
#define RUN_WORKERS(fn, n)                                                     \
  do {                                                                         \
    fprintf(stderr, "-- %s on %d worker(s)\n", #fn, (n));                      \
    CHECK_EQ(check_run_workers((fn), (n)), 0);                                 \
  } while (0)
/* One worker: asyncio's order, which most unit tests pin down. */
#define RUN(fn) RUN_WORKERS(fn, 1)

#endif /* WEFT_TESTS_CHECK_H */
