/* A task that parks on its first run (rt/task.c, "spawn"): a new task is
 * queued SCHEDULED|RUNNING and its first run is claimed with no CAS, so a
 * wake that lands before that run (queued), during it, or after its first
 * park must neither be lost nor queue the task twice. Each round spawns a
 * parker that, from its very first run, parks until the round is posted;
 * a waker (a plain thread, or a task) wakes it at a random moment with
 * nothing posted, then posts the round and wakes it again. Checks: the
 * parker's function is entered exactly once a round and never runs twice
 * at once, and every round ends (a watchdog fails a round that has not
 * ended 5 s after it was posted: a lost wake). At 1 and 2 workers. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "rt/task.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
enum { TASK_ROUNDS = 5000, THREAD_ROUNDS = 1000 };
#else
enum { TASK_ROUNDS = 100000, THREAD_ROUNDS = 5000 };
#endif

static weft_task *handle; /* the round's parker, or NULL: atomic */
static uint32_t round_no; /* the round the handle belongs to: atomic */
static uint32_t posted;   /* the last round posted: atomic */
static uint32_t woke;     /* the last round whose waker let go: atomic */
static uint32_t entries;  /* entries into the parker's function: atomic */
static uint32_t inside;   /* the parker is running: atomic */
static uint32_t ended;    /* the last round that ended: atomic */
static uint32_t stop;     /* atomic */
static int64_t posted_at; /* atomic */

static void enter(void) {
  CHECK_EQ(__atomic_fetch_add(&inside, 1, __ATOMIC_ACQ_REL), 0);
}
static void leave(void) { __atomic_fetch_sub(&inside, 1, __ATOMIC_ACQ_REL); }

static int parker(void *arg, void **result) {
  (void)result;
  uint32_t r = (uint32_t)(uintptr_t)arg;
  __atomic_fetch_add(&entries, 1, __ATOMIC_ACQ_REL);
  enter();
  /* Acquire: pairs with the waker's release store of posted. */
  while (__atomic_load_n(&posted, __ATOMIC_ACQUIRE) < r) {
    leave();
    weft__park(); /* the first suspension of this task */
    enter();
  }
  leave();
  return 0;
}

/* One waker's part of a round: when a round's handle is published, maybe
 * a wake with nothing posted, a random pause, then the post and its wake.
 * Returns true if it took a round. */
static bool wake_round(unsigned *seed, bool in_task) {
  uint32_t r = __atomic_load_n(&round_no, __ATOMIC_ACQUIRE);
  weft_task *t = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
  if (!t || __atomic_load_n(&woke, __ATOMIC_ACQUIRE) >= r)
    return false;
  unsigned dice = (unsigned)rand_r(seed);
  if (dice % 2)
    weft__task_wake(t); /* nothing posted: lands queued, running or parked */
  for (unsigned i = 0, n = dice / 2 % 4; i < n; i++) {
    if (in_task)
      CHECK_EQ(weft_yield(), 0);
    else
      sched_yield();
  }
  __atomic_store_n(&posted_at, weft_now_ns(), __ATOMIC_RELEASE);
  __atomic_store_n(&posted, r, __ATOMIC_RELEASE);
  weft__task_wake(t);
  /* Release: the spawner detaches the handle only after this. */
  __atomic_store_n(&woke, r, __ATOMIC_RELEASE);
  return true;
}

static void *thread_waker(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
    if (!wake_round(&seed, false))
      sched_yield();
  return NULL;
}

static int task_waker(void *arg, void **result) {
  (void)result;
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    wake_round(&seed, true);
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static void *watchdog(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    uint32_t p = __atomic_load_n(&posted, __ATOMIC_ACQUIRE);
    int64_t at = __atomic_load_n(&posted_at, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&ended, __ATOMIC_ACQUIRE) < p && at &&
        weft_now_ns() - at > 5000000000LL &&
        __atomic_load_n(&ended, __ATOMIC_ACQUIRE) < p) {
      fprintf(stderr, "round %u: posted 5 s ago and not ended: a lost wake\n",
              p);
      exit(1);
    }
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static bool use_thread;
static uint32_t first_round;

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *waker = NULL;
  pthread_t th;
  if (use_thread)
    CHECK_EQ(pthread_create(&th, NULL, thread_waker, (void *)(uintptr_t)7), 0);
  else
    CHECK_EQ(weft_spawn(&waker, task_waker, (void *)(uintptr_t)11), 0);
  uint32_t rounds = use_thread ? THREAD_ROUNDS : TASK_ROUNDS;
  for (uint32_t r = first_round; r < first_round + rounds; r++) {
    weft_task *p;
    uint32_t before = __atomic_load_n(&entries, __ATOMIC_ACQUIRE);
    CHECK_EQ(weft_spawn(&p, parker, (void *)(uintptr_t)r), 0);
    __atomic_store_n(&round_no, r, __ATOMIC_RELEASE);
    __atomic_store_n(&handle, p, __ATOMIC_RELEASE);
    if (r % 2)
      CHECK_EQ(weft_yield(), 0); /* the parker may run before the waker */
    CHECK_EQ(weft_await(p, NULL), 0);
    __atomic_store_n(&ended, r, __ATOMIC_RELEASE);
    CHECK_EQ(__atomic_load_n(&entries, __ATOMIC_ACQUIRE), before + 1);
    /* The waker's last wake is made before it lets go of the handle. */
    while (__atomic_load_n(&woke, __ATOMIC_ACQUIRE) < r)
      CHECK_EQ(weft_yield(), 0);
    __atomic_store_n(&handle, NULL, __ATOMIC_RELEASE);
    weft_detach(p);
  }
  first_round += rounds;
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  if (use_thread) {
    pthread_join(th, NULL);
  } else {
    CHECK_EQ(weft_await(waker, NULL), 0);
    weft_detach(waker);
  }
  return 0;
}

int main(void) {
  first_round = 1;
  for (int workers = 1; workers <= 2; workers++) {
    for (int thr = 0; thr <= 1; thr++) {
      use_thread = thr;
      __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
      pthread_t wd;
      CHECK_EQ(pthread_create(&wd, NULL, watchdog, NULL), 0);
      weft_config cfg;
      weft_config_init(&cfg);
      cfg.workers = workers;
      int64_t t0 = weft_now_ns();
      CHECK_EQ(weft_run(&cfg, main_task, NULL, NULL), 0);
      pthread_join(wd, NULL);
      fprintf(stderr, "%d worker(s), woken from a %s: %d rounds in %.2f s\n",
              workers, thr ? "thread" : "task",
              thr ? THREAD_ROUNDS : TASK_ROUNDS,
              (double)(weft_now_ns() - t0) / 1e9);
    }
  }
  return 0;
}
