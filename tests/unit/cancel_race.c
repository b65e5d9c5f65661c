/* A cancellation that races an await's or a gather's end on another worker
 * is delivered, never lost (include/weft/rt.h: weft_cancel's request is
 * delivered once, at the current or next suspension point). Each round: a
 * waiter awaits (or gathers) a short task that runs on the other worker,
 * while a canceller cancels the waiter. If weft_cancel returned 0, the
 * waiter must see -ECANCELED, from the await or gather or from one of the
 * yields it makes until the canceller is done, unless the request was
 * passed on to the awaited task (its cancel_reqs count). The hole this closes:
 * the cancel came before the waiter's forward was visible, so it was set on the
 * waiter and taken by its wait; passing it on to the awaited task found that
 * task already finished, and the cancellation vanished. Bounded by a round
 * count and by time.
 *
 * It also caught a lost wake-up (rt/task.c, "wake"): a waker that found the
 * waiter queued by the canceller's wake read its state before its store of
 * the waiter's status was visible, and the waiter, claimed meanwhile, read
 * the status still pending and parked for good. Without the fence there,
 * about one run in four hung. A watchdog thread turns a hang into a failure
 * that names the round, rather than a wait for ctest's timeout. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "rt/task.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
enum { ROUNDS = 5000 };
#else
enum { ROUNDS = 1000000 };
#endif
#define LIMIT_NS ((int64_t)20 * 1000 * 1000 * 1000)

typedef struct round {
  weft_task *waiter;
  uint32_t waiter_set; /* atomic: waiter's handle published */
  uint32_t cancel_rc;  /* atomic: weft_cancel's result, +1 once done */
  bool gather;
  uint32_t passed_on; /* the awaited task's cancel requests (Task.cancelling) */
} round;

/* Rounds done (atomic), and the watchdog's verdict: no round for
 * STALL_SECONDS means a task waits for a wake that never comes. */
#define STALL_SECONDS 10
static uint32_t progress, finished;

static void *watchdog(void *arg) {
  (void)arg;
  uint32_t seen = UINT32_MAX;
  int still = 0;
  while (!__atomic_load_n(&finished, __ATOMIC_ACQUIRE)) {
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    uint32_t now = __atomic_load_n(&progress, __ATOMIC_RELAXED);
    still = now == seen ? still + 1 : 0;
    seen = now;
    if (still >= STALL_SECONDS * 10) {
      fprintf(stderr,
              "cancel_race: round %u has not finished in %d s: a "
              "lost wake-up\n",
              now, STALL_SECONDS);
      abort();
    }
  }
  return NULL;
}

static int quick(void *arg, void **result) {
  (void)arg, (void)result;
  return 0;
}

static int waiter(void *arg, void **result) {
  round *r = arg;
  bool saw = false;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, quick, NULL), 0);
  int rc = r->gather ? weft_gather(&t, 1, NULL, NULL, 0) : weft_await(t, NULL);
  saw = rc == -ECANCELED;
  while (!__atomic_load_n(&r->cancel_rc, __ATOMIC_ACQUIRE))
    if (weft_yield() == -ECANCELED)
      saw = true;
  if (weft_yield() == -ECANCELED)
    saw = true;
  rc = weft_await(t, NULL); /* t's own outcome: cancelled if forwarded */
  CHECK(rc == 0 || rc == -ECANCELED);
  r->passed_on = weft__load_relaxed(&t->cancel_reqs);
  weft_detach(t);
  *result = (void *)(intptr_t)saw;
  return 0;
}

static int canceller(void *arg, void **result) {
  (void)result;
  round *r = arg;
  while (!__atomic_load_n(&r->waiter_set, __ATOMIC_ACQUIRE))
    CHECK_EQ(weft_yield(), 0);
  int rc = weft_cancel(r->waiter);
  __atomic_store_n(&r->cancel_rc, (uint32_t)(rc + 1000), __ATOMIC_RELEASE);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t t0 = weft_now_ns();
  int delivered = 0, rounds = 0;
  for (int i = 0; i < ROUNDS && weft_now_ns() - t0 < LIMIT_NS; i++) {
    round r = {.gather = i & 1};
    weft_task *c;
    CHECK_EQ(weft_spawn(&c, canceller, &r), 0);
    CHECK_EQ(weft_spawn(&r.waiter, waiter, &r), 0);
    __atomic_store_n(&r.waiter_set, 1, __ATOMIC_RELEASE);
    void *saw = NULL;
    int rc = weft_await(r.waiter, &saw);
    CHECK_EQ(weft_await(c, NULL), 0);
    int cancel_rc = (int)__atomic_load_n(&r.cancel_rc, __ATOMIC_ACQUIRE) - 1000;
    if (cancel_rc == 0) { /* the request was made: it must have arrived */
      /* Or been passed on to the awaited task, which may have finished
       * without a suspension point left to take it: then, as in asyncio,
       * the waiter gets that task's outcome. */
      if (rc != -ECANCELED && !saw && !r.passed_on) {
        fprintf(stderr, "round %d (%s): cancel made, never delivered\n", i,
                r.gather ? "gather" : "await");
        CHECK(false);
      }
      delivered++;
    } else {
      CHECK_EQ(cancel_rc, -EALREADY);
    }
    weft_detach(c);
    weft_detach(r.waiter);
    rounds++;
    __atomic_store_n(&progress, (uint32_t)rounds, __ATOMIC_RELAXED);
  }
  fprintf(stderr, "   %d rounds, %d cancels made and delivered\n", rounds,
          delivered);
  return 0;
}

int main(void) {
  pthread_t dog;
  CHECK_EQ(pthread_create(&dog, NULL, watchdog, NULL), 0);
  RUN_WORKERS(main_task, 2);
  __atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
  CHECK_EQ(pthread_join(dog, NULL), 0);
  fprintf(stderr, "cancel_race: all passed\n");
  return 0;
}
