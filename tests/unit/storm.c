/* Storms across 2, 4 and 8 workers on this 2-core machine (so
 * oversubscribed): tasks that yield, sleep, spawn and await children, and
 * get cancelled at random. Every task runs exactly once (or never, if it was
 * cancelled before it started), every await returns, gather reports each
 * task in argument order, tasks ran on every worker and steals succeeded.
 * Bounded in count and time. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "rt/current.h"
#include "rt/worker.h"

#if defined(__SANITIZE_THREAD__)
/* TSan creates a shadow state of most of a megabyte per live task. */
enum { N = 1000 };
#else
enum { N = 3000 };
#endif

typedef struct slot {
  uint32_t ran; /* entries into the body: atomic */
  uint32_t seed;
  int index;
} slot;

static slot slots[N];
static uint64_t worker_mask;  /* workers that ran a task: atomic */
static uint64_t steals_total; /* over every run (main thread) */

static void note_worker(void) {
  int idx = weft__worker_current()->index;
  __atomic_fetch_or(&worker_mask, 1ull << (idx & 63), __ATOMIC_RELAXED);
}

static int leaf(void *arg, void **result) {
  note_worker();
  *result = arg;
  return 0;
}

static int body(void *arg, void **result) {
  slot *s = arg;
  __atomic_fetch_add(&s->ran, 1, __ATOMIC_RELAXED);
  note_worker();
  for (int step = 0; step < 4; step++) {
    int rc = 0;
    switch (rand_r(&s->seed) % 4) {
    case 0:
      rc = weft_yield();
      break;
    case 1:
      rc = weft_sleep_ns((int64_t)(rand_r(&s->seed) % 200000));
      break;
    case 2: {
      weft_task *c;
      CHECK_EQ(weft_spawn(&c, leaf, (void *)(intptr_t)s->index), 0);
      void *r = NULL;
      rc = weft_await(c, &r);
      if (rc == 0)
        CHECK_EQ((intptr_t)r, s->index);
      weft_detach(c);
      break;
    }
    default:
      for (volatile int spin = 0; spin < 20000; spin++)
        ;
      note_worker();
    }
    if (rc == -ECANCELED)
      return rc;
    CHECK_EQ(rc, 0);
  }
  *result = (void *)(intptr_t)s->index;
  return 0;
}

static int storm_once(void) {
  static weft_task *t[N];
  unsigned seed = 12345;
  for (int i = 0; i < N; i++) {
    slots[i] = (slot){.ran = 0, .seed = (uint32_t)i * 2654435761u, .index = i};
    CHECK_EQ(weft_spawn(&t[i], body, &slots[i]), 0);
    if (i % 500 == 0)
      CHECK_EQ(weft_yield(), 0);
  }
  for (int i = 0; i < N; i++)
    if (rand_r(&seed) % 5 == 0)
      weft_cancel(t[(size_t)rand_r(&seed) % N]);
  static void *r[N];
  static int st[N];
  CHECK_EQ(weft_gather(t, N, r, st, WEFT_GATHER_ALL), 0);
  for (int i = 0; i < N; i++) {
    uint32_t ran = __atomic_load_n(&slots[i].ran, __ATOMIC_RELAXED);
    weft_task_state state = weft_task_state_of(t[i]);
    if (st[i] == 0) {
      CHECK_EQ(ran, 1);
      CHECK_EQ((intptr_t)r[i], i); /* argument order */
      CHECK_EQ(state, WEFT_TASK_DONE);
    } else {
      CHECK_EQ(st[i], -ECANCELED);
      CHECK(ran <= 1);
      CHECK_EQ(state, WEFT_TASK_CANCELLED);
    }
    weft_detach(t[i]);
  }
  weft__runtime *rt = weft__worker_current()->rt;
  uint64_t won = 0;
  for (int i = 0; i < rt->nworkers; i++)
    won += weft__load_relaxed(&rt->workers[i].stats.steals_won);
  uint64_t all = rt->nworkers >= 64 ? ~0ull : (1ull << rt->nworkers) - 1;
  fprintf(stderr, "   %d workers: steals won %llu, workers used %llx of %llx\n",
          rt->nworkers, (unsigned long long)won,
          (unsigned long long)__atomic_load_n(&worker_mask, __ATOMIC_RELAXED),
          (unsigned long long)all);
  steals_total += won;
  return __atomic_load_n(&worker_mask, __ATOMIC_RELAXED) == all;
}

/* Storms until every worker has run a task, at most 8 in a row: with 8
 * workers on 2 cores one burst may be over before every parked worker is
 * unparked (a push notifies only when it leaves more than one task queued,
 * and not while a worker is searching), but a worker that never gets any
 * work in 8 storms means the spreading is broken. */
static int storm(void *arg, void **result) {
  (void)arg, (void)result;
  int rounds = 1;
  while (!storm_once()) {
    CHECK(++rounds <= 8);
    fprintf(stderr, "   not every worker used yet: storm again\n");
  }
  return 0;
}

int main(void) {
  int64_t t0 = weft_now_ns();
  int counts[] = {2, 4, 8};
  for (int round = 0; round < 2; round++)
    for (int k = 0; k < 3; k++) {
      __atomic_store_n(&worker_mask, 0, __ATOMIC_RELAXED);
      RUN_WORKERS(storm, counts[k]);
      CHECK(weft_now_ns() - t0 < 100000000000LL);
    }
  /* Steals over all six runs: a single run may see its work spread through
   * the inject queue alone (always likely with 4-slot rings). */
  CHECK(steals_total > 0);
  fprintf(stderr, "storm: all passed (%llu steals won)\n",
          (unsigned long long)steals_total);
  return 0;
}
