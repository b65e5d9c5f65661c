/* tests/unit/watchdog.h: a thread that ends the test with a failure if a
 * progress counter stops moving for 10 s, so that a lost wake-up shows as
 * one, not as a hang until ctest's timeout (spin, spin_quiet). */
#ifndef WEFT_TESTS_WATCHDOG_H
#define WEFT_TESTS_WATCHDOG_H
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "weft.h"

typedef struct watchdog {
  const uint64_t *progress; /* round trips made: atomic */
  const char *test;         /* named in the failure */
  uint32_t stop;            /* atomic */
  pthread_t thread;
} watchdog;

static inline void *watchdog_run(void *arg) {
  watchdog *wd = arg;
  uint64_t last = 0;
  int64_t since = weft_now_ns();
  while (!__atomic_load_n(&wd->stop, __ATOMIC_ACQUIRE)) {
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    uint64_t p = __atomic_load_n(wd->progress, __ATOMIC_RELAXED);
    int64_t now = weft_now_ns();
    if (p != last) {
      last = p;
      since = now;
    } else if (now - since > 10000000000) {
      fprintf(stderr, "%s: no round trip for 10 s after %llu: a lost wake-up\n",
              wd->test, (unsigned long long)p);
      exit(1);
    }
  }
  return NULL;
}

static inline void watchdog_start(watchdog *wd, const uint64_t *progress,
                                  const char *test) {
  wd->progress = progress;
  wd->test = test;
  wd->stop = 0;
  CHECK_EQ(pthread_create(&wd->thread, NULL, watchdog_run, wd), 0);
}

static inline void watchdog_stop(watchdog *wd) {
  __atomic_store_n(&wd->stop, 1u, __ATOMIC_RELEASE);
  CHECK_EQ(pthread_join(wd->thread, NULL), 0);
}

#endif /* WEFT_TESTS_WATCHDOG_H */
