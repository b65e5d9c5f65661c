/* bench/micro/sync.c: issue 6's sync/ bodies (see bodies.h): a Lock
 * uncontended and contended across 2 workers, and Queue throughput SPSC and
 * MPSC across 2 workers. Each is one weft_run; the clock runs inside it,
 * around the timed loop only, after a warm-up. */
#include <stdio.h>
#include <stdlib.h>

#include "bodies.h"
#include "weft.h"

#define SYNC_WARMUP 256
#define QUEUE_BOUND 64

static void check(const char *what, int err) {
  if (err) {
    fprintf(stderr, "bench: %s: %s\n", what, weft_strerror(err));
    abort();
  }
}

typedef struct sjob {
  uint64_t iters;
  uint64_t ns;
  int tasks; /* contenders or producers */
  weft_lock *lock;
  weft_queue *q;
  uint64_t counter;
} sjob;

static uint64_t run_on(weft_fn main_fn, sjob *j, int workers) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = workers;
  check("weft_run", weft_run(&cfg, main_fn, j, NULL));
  return j->ns;
}

/* ---- Lock uncontended: acquire + release by one task -------------------- */

static int lock_uncontended_main(void *arg, void **result) {
  (void)result;
  sjob *j = arg;
  check("weft_lock_new", weft_lock_new(&j->lock));
  for (int i = 0; i < SYNC_WARMUP; i++) {
    check("acquire", weft_lock_acquire(j->lock));
    check("release", weft_lock_release(j->lock));
  }
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < j->iters; i++) {
    check("acquire", weft_lock_acquire(j->lock));
    check("release", weft_lock_release(j->lock));
  }
  j->ns = (uint64_t)(weft_now_ns() - t0);
  check("weft_lock_free", weft_lock_free(j->lock));
  return 0;
}

uint64_t bench_lock_uncontended(uint64_t iters) {
  sjob j = {.iters = iters};
  return run_on(lock_uncontended_main, &j, 1);
}

/* ---- Lock contended: 2 tasks on 2 workers, iters acquisitions in all ---- */

static int contender(void *arg, void **result) {
  (void)result;
  sjob *j = arg;
  uint64_t n = j->iters / 2;
  for (uint64_t i = 0; i < n; i++) {
    check("acquire", weft_lock_acquire(j->lock));
    j->counter++;
    check("release", weft_lock_release(j->lock));
  }
  return 0;
}

static int lock_contended_main(void *arg, void **result) {
  (void)result;
  sjob *j = arg;
  check("weft_lock_new", weft_lock_new(&j->lock));
  weft_task *t[2];
  int64_t t0 = weft_now_ns();
  for (int i = 0; i < 2; i++)
    check("weft_spawn", weft_spawn(&t[i], contender, j));
  check("weft_gather", weft_gather(t, 2, NULL, NULL, 0));
  j->ns = (uint64_t)(weft_now_ns() - t0);
  if (j->counter != (j->iters / 2) * 2) {
    fprintf(stderr, "bench: lock counter %llu\n",
            (unsigned long long)j->counter);
    abort();
  }
  for (int i = 0; i < 2; i++)
    weft_detach(t[i]);
  check("weft_lock_free", weft_lock_free(j->lock));
  return 0;
}

uint64_t bench_lock_contended2(uint64_t iters) {
  sjob j = {.iters = iters < 2 ? 2 : iters};
  return run_on(lock_contended_main, &j, 2);
}

/* ---- Queue: producers -> one consumer, bounded, 2 workers -------------- */

static int producer(void *arg, void **result) {
  (void)result;
  sjob *j = arg;
  uint64_t n = j->iters / (uint64_t)j->tasks;
  for (uint64_t i = 0; i < n; i++)
    check("put", weft_queue_put(j->q, (void *)(uintptr_t)(i + 1)));
  return 0;
}

static int queue_main(void *arg, void **result) {
  (void)result;
  sjob *j = arg;
  check("weft_queue_new", weft_queue_new(&j->q, WEFT_QUEUE_FIFO, QUEUE_BOUND));
  uint64_t total = (j->iters / (uint64_t)j->tasks) * (uint64_t)j->tasks;
  weft_task *t[8];
  int64_t t0 = weft_now_ns();
  for (int i = 0; i < j->tasks; i++)
    check("weft_spawn", weft_spawn(&t[i], producer, j));
  for (uint64_t i = 0; i < total; i++) {
    void *item;
    check("get", weft_queue_get(j->q, &item));
  }
  j->ns = (uint64_t)(weft_now_ns() - t0);
  check("weft_gather", weft_gather(t, (size_t)j->tasks, NULL, NULL, 0));
  for (int i = 0; i < j->tasks; i++)
    weft_detach(t[i]);
  check("weft_queue_free", weft_queue_free(j->q));
  return 0;
}

uint64_t bench_queue_spsc(uint64_t iters) {
  sjob j = {.iters = iters, .tasks = 1};
  return run_on(queue_main, &j, 2);
}

uint64_t bench_queue_mpsc(uint64_t iters) {
  sjob j = {.iters = iters < 4 ? 4 : iters, .tasks = 4};
  return run_on(queue_main, &j, 2);
}
