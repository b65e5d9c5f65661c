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

/* Runs fn as the main task of a fresh runtime and checks it returned 0. */
#define RUN(fn)                                                                \
  do {                                                                         \
    fprintf(stderr, "-- %s\n", #fn);                                           \
    CHECK_EQ(weft_run(NULL, (fn), NULL, NULL), 0);                             \
  } while (0)

#endif /* WEFT_TESTS_CHECK_H */
