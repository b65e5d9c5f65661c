/* Storms across 2, 4 and 8 workers on this 2-core machine (so
 * oversubscribed): tasks that yield, sleep, spawn and await children, and
 * get cancelled at random. Every task runs exactly once (or never, if it was
 * cancelled before it started), every await returns, gather reports each
 * task in argument order, tasks ran on every worker (with probes that hold
 * their workers when the storms did not reach every one) and steals
 * succeeded. Bounded in count and time. */
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

static uint64_t all_workers(void) {
  int n = weft__worker_current()->rt->nworkers;
  return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static bool every_worker_used(void) {
  return __atomic_load_n(&worker_mask, __ATOMIC_RELAXED) == all_workers();
}

#define PROBE_NS ((int64_t)10 * 1000000000)
static int64_t probe_until; /* weft_now_ns deadline for the probes */

/* A probe: notes its worker, then holds it (never suspends) until every
 * worker has run a task, or the deadline. */
static int probe(void *arg, void **result) {
  (void)arg, (void)result;
  note_worker();
  while (!every_worker_used() && weft_now_ns() < probe_until) {
  }
  return 0;
}

/* Probes until every worker has run a task, at most PROBE_NS: four per
 * worker, spawned on this worker's ring. Each probe holds the worker that
 * runs it, so the probes behind it reach another worker only through the
 * scheduler's own means: the wake of a push that leaves more than one task
 * queued, a searcher's wake of the next worker when it finds work (or the
 * monitor's, for a worker held by a task), and a steal. A worker that can
 * never be woken to steal fails here, after PROBE_NS. */
static void probes(void) {
  int n = 4 * weft__worker_current()->rt->nworkers;
  weft_task *t[4 * 8];
  CHECK(n <= 4 * 8);
  __atomic_store_n(&probe_until, weft_now_ns() + PROBE_NS, __ATOMIC_RELAXED);
  for (int i = 0; i < n; i++)
    CHECK_EQ(weft_spawn(&t[i], probe, NULL), 0);
  for (int i = 0; i < n; i++) {
    CHECK_EQ(weft_await(t[i], NULL), 0);
    weft_detach(t[i]);
  }
}

/* Storms, then, if some worker has run no task yet, probes. A storm is
 * over in tens of milliseconds, and a worker woken for it must be given a
 * CPU by the OS before the storm's work has drained: on this 2-CPU machine
 * with other builds and tests running (ctest -j2), a worker at 2 workers
 * and one at 8 each missed 8 storms in a row (not reproduced in 140 runs
 * unloaded). Unloaded, 8 workers often need 3 or 4 storms. The probes hold
 * their workers until every worker has run one, so a late worker still
 * finds work when it runs. */
static int storm(void *arg, void **result) {
  (void)arg, (void)result;
  int rounds = 1;
  while (!storm_once() && rounds < 3) {
    rounds++;
    fprintf(stderr, "   not every worker used yet: storm again\n");
  }
  if (!every_worker_used()) {
    int64_t t0 = weft_now_ns();
    probes();
    fprintf(stderr, "   probes: workers used %llx of %llx after %.1f ms\n",
            (unsigned long long)__atomic_load_n(&worker_mask, __ATOMIC_RELAXED),
            (unsigned long long)all_workers(),
            (double)(weft_now_ns() - t0) / 1e6);
  }
  CHECK(every_worker_used());
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
