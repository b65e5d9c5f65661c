/* A runtime driven from plain threads: block_on, spawn and
 * call_soon_threadsafe from foreign threads, pinned tasks that never
 * migrate, and weft_runtime_free cancelling what still runs. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#if defined(__SANITIZE_THREAD__)
/* TSan creates a shadow state of most of a megabyte per task. */
enum { THREADS = 4, CALLS = 500, PINNED = 4 };
#else
enum { THREADS = 4, CALLS = 2000, PINNED = 4 };
#endif

static weft_runtime *rt;
static uint32_t calls_done; /* atomic */

static int count_call(void *arg, void **result) {
  (void)arg, (void)result;
  __atomic_fetch_add(&calls_done, 1, __ATOMIC_RELAXED);
  return 0;
}

static void *caller(void *arg) {
  (void)arg;
  for (int i = 0; i < CALLS; i++)
    CHECK_EQ(weft_runtime_call_soon_threadsafe(rt, count_call, NULL), 0);
  return NULL;
}

static int wait_calls(void *arg, void **result) {
  (void)arg;
  int64_t t0 = weft_now_ns();
  while (__atomic_load_n(&calls_done, __ATOMIC_RELAXED) < THREADS * CALLS) {
    CHECK_EQ(weft_sleep_ms(1), 0);
    CHECK(weft_now_ns() - t0 < 30000000000LL);
  }
  *result = (void *)(intptr_t)weft_worker_count();
  return 0;
}

/* A pinned task records every worker it ran on, across many suspensions,
 * while busy tasks keep the other worker stealing. */
static int pinned_body(void *arg, void **result) {
  (void)result;
  int want = (int)(intptr_t)arg;
  for (int i = 0; i < 300; i++) {
    CHECK_EQ(weft_worker_index(), want);
    CHECK_EQ(i % 3 ? weft_yield() : weft_sleep_ns(50000), 0);
  }
  CHECK_EQ(weft_worker_index(), want);
  return 0;
}

static int busy(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 100; i++) {
    for (volatile int spin = 0; spin < 3000; spin++)
      ;
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int pinned_run(void *arg, void **result) {
  (void)arg, (void)result;
  int n = weft_worker_count();
  weft_task *p[PINNED], *b[16];
  for (int i = 0; i < PINNED; i++) {
    weft_spawn_opts o = {.pinned = true, .worker = i % n};
    CHECK_EQ(weft_spawn_opt(&p[i], pinned_body, (void *)(intptr_t)(i % n), &o),
             0);
  }
  for (int i = 0; i < 16; i++)
    CHECK_EQ(weft_spawn(&b[i], busy, NULL), 0);
  CHECK_EQ(weft_gather(p, PINNED, NULL, NULL, 0), 0);
  CHECK_EQ(weft_gather(b, 16, NULL, NULL, 0), 0);
  for (int i = 0; i < PINNED; i++)
    weft_detach(p[i]);
  for (int i = 0; i < 16; i++)
    weft_detach(b[i]);
  /* Bad pins. */
  weft_task *t;
  weft_spawn_opts bad = {.pinned = true, .worker = n};
  CHECK_EQ(weft_spawn_opt(&t, busy, NULL, &bad), -EINVAL);
  weft_spawn_opts eager = {.pinned = true, .worker = 0, .eager = true};
  CHECK_EQ(weft_spawn_opt(&t, busy, NULL, &eager), -EINVAL);
  /* A worker may not block on its own runtime. */
  CHECK_EQ(weft_runtime_block_on(rt, busy, NULL, NULL), -EDEADLK);
  CHECK_EQ(weft_runtime_free(rt), -EDEADLK);
  return 0;
}

static uint32_t cleaned, sleeping; /* atomic */
static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  __atomic_fetch_add(&sleeping, 1, __ATOMIC_RELAXED);
  int rc = weft_sleep_ms(100000);
  if (rc == -ECANCELED)
    __atomic_fetch_add(&cleaned, 1, __ATOMIC_RELAXED);
  return rc;
}

static int wait_sleepers(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t t0 = weft_now_ns();
  while (__atomic_load_n(&sleeping, __ATOMIC_RELAXED) < 10) {
    CHECK_EQ(weft_sleep_ms(1), 0);
    CHECK(weft_now_ns() - t0 < 30000000000LL);
  }
  return 0;
}

int main(void) {
  for (int workers = 1; workers <= 2; workers++) {
    weft_config cfg;
    weft_config_init(&cfg);
    cfg.workers = workers;
    CHECK_EQ(weft_runtime_new(&rt, &cfg), 0);
    __atomic_store_n(&calls_done, 0, __ATOMIC_RELAXED);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
      CHECK_EQ(pthread_create(&th[i], NULL, caller, NULL), 0);
    void *r = NULL;
    CHECK_EQ(weft_runtime_block_on(rt, wait_calls, NULL, &r), 0);
    CHECK_EQ((intptr_t)r, workers);
    for (int i = 0; i < THREADS; i++)
      pthread_join(th[i], NULL);
    CHECK_EQ(weft_runtime_block_on(rt, pinned_run, NULL, NULL), 0);

    /* Spawned from this thread, left sleeping: freeing the runtime cancels
     * them and they clean up. */
    __atomic_store_n(&cleaned, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&sleeping, 0, __ATOMIC_RELAXED);
    for (int i = 0; i < 10; i++) {
      weft_task *t;
      CHECK_EQ(weft_runtime_spawn(rt, &t, sleeper, NULL), 0);
      weft_detach(t);
    }
    /* Once they all sleep (a task cancelled before it ran would never
     * enter its body to clean up). */
    CHECK_EQ(weft_runtime_block_on(rt, wait_sleepers, NULL, NULL), 0);
    CHECK_EQ(weft_runtime_free(rt), 0);
    CHECK_EQ(__atomic_load_n(&cleaned, __ATOMIC_RELAXED), 10);
    fprintf(stderr, "-- %d worker(s): passed\n", workers);
  }
  CHECK_EQ(weft_runtime_free(NULL), -EINVAL);
  CHECK_EQ(weft_runtime_new(NULL, NULL), -EINVAL);
  fprintf(stderr, "foreign: all passed\n");
  return 0;
}
