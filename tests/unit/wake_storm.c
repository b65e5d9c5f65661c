/* Many wakes of one task at once (rt/task.c, "the state word"): a wake
 * that wins a parked task queues it (SCHEDULED); a wake that finds it
 * running sets NOTIFIED, and the park after that requeues it; a wake that
 * finds it queued or NOTIFIED does nothing, decided after a full fence.
 * A waiter parks until a counter reaches each value in turn, while two
 * plain threads and two tasks raise the counter and wake it, and extra
 * wakes with nothing posted arrive at random moments, so that wakes land
 * while the waiter runs, parks, sits in a queue or is being popped. It
 * checks that the waiter never runs twice at once (a task queued twice)
 * and that no wake is lost: after a round's wake nobody wakes the waiter
 * until it has seen the round, which must happen within 2 s (a mutation
 * that drops the NOTIFIED of a wake that finds the task running hangs a
 * round here in a fraction of a second). Random schedules, bounded in
 * count and time; at 1 and 2 workers. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "rt/task.h"

#if defined(__SANITIZE_THREAD__)
enum { ROUNDS = 20000 };
#else
enum { ROUNDS = 1000000 };
#endif

static weft_task *waiter_task; /* atomic: set before any waker starts */
static uint32_t posted;        /* rounds posted: atomic */
static uint32_t seen;          /* rounds the waiter has seen: atomic */
static uint32_t inside;        /* the waiter is running: atomic */
static uint32_t stop;          /* atomic */

static void enter(void) {
  CHECK_EQ(__atomic_fetch_add(&inside, 1, __ATOMIC_ACQ_REL), 0);
}
static void leave(void) { __atomic_fetch_sub(&inside, 1, __ATOMIC_ACQ_REL); }

static int waiter(void *arg, void **result) {
  (void)arg, (void)result;
  enter();
  for (uint32_t i = 1; i <= ROUNDS; i++) {
    /* Acquire: pairs with the posters' release increments. */
    while (__atomic_load_n(&posted, __ATOMIC_ACQUIRE) < i) {
      leave();
      weft__park();
      enter();
    }
    __atomic_store_n(&seen, i, __ATOMIC_RELEASE);
  }
  leave();
  return 0;
}

static int64_t posted_at; /* when the last round was posted: atomic */

/* One poster: once the waiter has seen the last round, maybe wakes it with
 * nothing posted (a wake that lands anywhere: running, parking, queued),
 * then raises the counter and wakes it. Until the waiter sees that round
 * nobody wakes it again, so a lost wake leaves it parked: the watchdog. */
static void post_round(unsigned *seed) {
  weft_task *t = __atomic_load_n(&waiter_task, __ATOMIC_ACQUIRE);
  uint32_t s = __atomic_load_n(&seen, __ATOMIC_ACQUIRE);
  uint32_t p = __atomic_load_n(&posted, __ATOMIC_ACQUIRE);
  if (p != s) {
    int64_t at = __atomic_load_n(&posted_at, __ATOMIC_ACQUIRE);
    if (p == __atomic_load_n(&posted, __ATOMIC_ACQUIRE) && at &&
        weft_now_ns() - at > 2000000000LL) {
      fprintf(stderr, "round %u: posted 2 s ago and not seen: a lost wake\n",
              p);
      exit(1);
    }
    return;
  }
  if (p >= ROUNDS)
    return;
  if (rand_r(seed) % 4 == 0)
    weft__task_wake(t); /* nothing posted */
  if (__atomic_compare_exchange_n(&posted, &p, p + 1, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE)) {
    __atomic_store_n(&posted_at, weft_now_ns(), __ATOMIC_RELEASE);
    weft__task_wake(t);
  }
}

static void *thread_poster(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    post_round(&seed);
    if (rand_r(&seed) % 64 == 0) {
      struct timespec ts = {0, (long)(rand_r(&seed) % 20000)};
      nanosleep(&ts, NULL);
    }
  }
  return NULL;
}

static int task_poster(void *arg, void **result) {
  (void)result;
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    post_round(&seed);
    if (rand_r(&seed) % 2)
      CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *w, *p[2];
  CHECK_EQ(weft_spawn(&w, waiter, NULL), 0);
  __atomic_store_n(&waiter_task, w, __ATOMIC_RELEASE);
  pthread_t th[2];
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(pthread_create(&th[i], NULL, thread_poster,
                            (void *)(uintptr_t)(17 + i)),
             0);
    CHECK_EQ(weft_spawn(&p[i], task_poster, (void *)(uintptr_t)(91 + i)), 0);
  }
  CHECK_EQ(weft_await(w, NULL), 0);
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(weft_await(p[i], NULL), 0);
    weft_detach(p[i]);
    pthread_join(th[i], NULL);
  }
  /* The waiter's handle outlives every wake made on it. */
  weft_detach(w);
  CHECK_EQ(__atomic_load_n(&seen, __ATOMIC_RELAXED), ROUNDS);
  return 0;
}

int main(void) {
  for (int workers = 1; workers <= 2; workers++) {
    __atomic_store_n(&posted, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&seen, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&posted_at, 0, __ATOMIC_RELAXED);
    weft_config cfg;
    weft_config_init(&cfg);
    cfg.workers = workers;
    int64_t t0 = weft_now_ns();
    CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
    fprintf(stderr, "%d worker(s): %d rounds in %.2f s\n", workers, ROUNDS,
            (double)(weft_now_ns() - t0) / 1e9);
  }
  return 0;
}
