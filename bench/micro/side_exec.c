/*
 * bench/micro/side_exec.c: weft's bodies for the side-by-side workloads that
 * use sync/ and the executors (bench/micro/side.c dispatches to them), the
 * same work as the peers' programs in bench/peers/:
 *
 *   lock          A tasks each taking one weft_lock B times (a counter
 *                 behind it, checked exact at the end)
 *   queue         A producers each putting B items into one weft_queue of
 *                 capacity 1,024, one consumer (every item counted)
 *   to_thread     A weft_to_thread round trips of a function returning its
 *                 argument plus one, one at a time. WEFT_BENCH_MAIN_CPU=N
 *                 pins the thread the main task starts on (at one worker,
 *                 the worker) to CPU N, WEFT_BENCH_POOL_CPU=N each pool
 *                 thread to CPU N at its first job: the two sides of a
 *                 round trip kept on CPUs of our choosing (apart, or
 *                 together), which taskset cannot do for threads the
 *                 runtime makes later
 *   process_pool  A weft_procpool_run round trips of a one-byte job, one at
 *                 a time, with a pool of B worker processes
 *
 * Each is one weft_run whose main task does the work twice, a tenth of A
 * first as a warm-up (the process pool's workers start then), then A timed.
 * Public API only.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <weft.h>

#include "side_exec.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what, int err) {
  fprintf(stderr, "bench_side: %s: %s\n", what, weft_strerror(err));
  exit(1);
}

typedef struct work {
  uint64_t a, b;
  uint64_t ns, ops;
  weft_lock *lock;
  weft_queue *queue;
  uint64_t counter;
} work;

/* ---- lock -------------------------------------------------------- */

static int locker(void *arg, void **result) {
  (void)result;
  work *w = arg;
  for (uint64_t i = 0; i < w->b; i++) {
    int err = weft_lock_acquire(w->lock);
    if (err)
      fail("weft_lock_acquire", err);
    w->counter++;
    if ((err = weft_lock_release(w->lock)))
      fail("weft_lock_release", err);
  }
  return 0;
}

static int lock_main(void *arg, void **result) {
  (void)result;
  work *w = arg;
  int err = weft_lock_new(&w->lock);
  if (err)
    fail("weft_lock_new", err);
  weft_task **t = calloc(w->a, sizeof *t);
  if (!t)
    fail("calloc", -12);
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < w->a; i++)
    if ((err = weft_spawn(&t[i], locker, w)))
      fail("weft_spawn", err);
  if ((err = weft_gather(t, w->a, NULL, NULL, 0)))
    fail("weft_gather", err);
  w->ns = now_ns() - t0;
  w->ops = w->a * w->b;
  if (w->counter != w->ops)
    fail("lock: lost increments", -5);
  for (uint64_t i = 0; i < w->a; i++)
    weft_detach(t[i]);
  free(t);
  return weft_lock_free(w->lock);
}

/* ---- queue ------------------------------------------------------- */

static int producer(void *arg, void **result) {
  (void)result;
  work *w = arg;
  for (uint64_t i = 0; i < w->b; i++) {
    int err = weft_queue_put(w->queue, (void *)(uintptr_t)(i + 1));
    if (err)
      fail("weft_queue_put", err);
  }
  return 0;
}

static int queue_main(void *arg, void **result) {
  (void)result;
  work *w = arg;
  int err = weft_queue_new(&w->queue, WEFT_QUEUE_FIFO, 1024);
  if (err)
    fail("weft_queue_new", err);
  weft_task **t = calloc(w->a, sizeof *t);
  if (!t)
    fail("calloc", -12);
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < w->a; i++)
    if ((err = weft_spawn(&t[i], producer, w)))
      fail("weft_spawn", err);
  uint64_t want = w->a * w->b;
  for (uint64_t got = 0; got < want; got++) {
    void *item = NULL;
    if ((err = weft_queue_get(w->queue, &item)))
      fail("weft_queue_get", err);
    if (!item)
      fail("queue: empty item", -5);
  }
  if ((err = weft_gather(t, w->a, NULL, NULL, 0)))
    fail("weft_gather", err);
  w->ns = now_ns() - t0;
  w->ops = want;
  for (uint64_t i = 0; i < w->a; i++)
    weft_detach(t[i]);
  free(t);
  return weft_queue_free(w->queue);
}

/* ---- to_thread --------------------------------------------------- */

/* Pins the calling thread to the CPU named by env, if set. */
static void pin_from_env(const char *env) {
  const char *v = getenv(env);
  if (!v || !*v)
    return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(atoi(v), &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    fail(env, -22);
}

static int plus_one(void *arg, void **result) {
  static __thread int pinned; /* this pool thread's first job pins it */
  if (!pinned) {
    pinned = 1;
    pin_from_env("WEFT_BENCH_POOL_CPU");
  }
  *result = (void *)((uintptr_t)arg + 1);
  return 0;
}

static int to_thread_main(void *arg, void **result) {
  (void)result;
  work *w = arg;
  pin_from_env("WEFT_BENCH_MAIN_CPU");
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < w->a; i++) {
    void *r = NULL;
    int err = weft_to_thread(plus_one, (void *)(uintptr_t)i, &r, NULL);
    if (err)
      fail("weft_to_thread", err);
    if ((uintptr_t)r != i + 1)
      fail("to_thread: wrong result", -5);
  }
  w->ns = now_ns() - t0;
  w->ops = w->a;
  return 0;
}

/* ---- process_pool ------------------------------------------------ */

static int job_byte(const void *in, size_t in_len, void **out,
                    size_t *out_len) {
  if (in_len != 1)
    return -22;
  unsigned char *o = malloc(1);
  if (!o)
    return -12;
  o[0] = (unsigned char)(((const unsigned char *)in)[0] + 1);
  *out = o;
  *out_len = 1;
  return 0;
}
WEFT_JOB(side_byte, job_byte)

static int procpool_main(void *arg, void **result) {
  (void)result;
  work *w = arg;
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < w->a; i++) {
    unsigned char in = (unsigned char)i;
    void *out = NULL;
    size_t len = 0;
    int err = weft_procpool_run("side_byte", &in, 1, &out, &len, -1);
    if (err)
      fail("weft_procpool_run", err);
    if (len != 1 || *(unsigned char *)out != (unsigned char)(in + 1))
      fail("process_pool: wrong result", -5);
    free(out);
  }
  w->ns = now_ns() - t0;
  w->ops = w->a;
  return 0;
}

/* ---- dispatch ---------------------------------------------------- */

typedef struct twice {
  weft_fn fn;
  work w;
} twice;

/* The warm-up, then the measured run, in one runtime. */
static int twice_main(void *arg, void **result) {
  twice *tw = arg;
  work warm = {.a = tw->w.a / 10 ? tw->w.a / 10 : 1, .b = tw->w.b};
  int err = tw->fn(&warm, result);
  return err ? err : tw->fn(&tw->w, result);
}

int side_exec_run(int workers, const char *name, uint64_t a, uint64_t b,
                  double *ns_per_op) {
  weft_fn fn;
  if (strcmp(name, "lock") == 0)
    fn = lock_main;
  else if (strcmp(name, "queue") == 0)
    fn = queue_main;
  else if (strcmp(name, "to_thread") == 0)
    fn = to_thread_main;
  else if (strcmp(name, "process_pool") == 0)
    fn = procpool_main;
  else
    return 1;
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = workers;
  if (fn == procpool_main)
    cfg.procpool_workers = b ? (int)b : 1;
  twice tw = {fn, {.a = a, .b = b}};
  int err = weft_run(&cfg, twice_main, &tw, NULL);
  if (err)
    fail(name, err);
  *ns_per_op = tw.w.ops ? (double)tw.w.ns / (double)tw.w.ops : 0.0;
  return 0;
}
