/* bench/micro/bodies.c: the benchmark bodies (see bodies.h). */
#include "bodies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt/ctx.h"
#include "weft.h"

/* Operations run before the clock starts: the first spawns map a stack slab
 * and fault in pages, which is not the steady state being measured. */
#define WARMUP 256

static void die(const char *what, int err) {
  fprintf(stderr, "bench: %s: %s\n", what, weft_strerror(err));
  abort();
}

static void check(const char *what, int err) {
  if (err)
    die(what, err);
}

/* What a main task gets: how many operations, and where to put the time. */
typedef struct job {
  uint64_t iters;
  uint64_t ns;
} job;

/* Runs op WARMUP times, then j->iters times on the clock, into j->ns. A
 * macro, so that each body's operation is compiled into its loop as
 * written (a call through a pointer would add to every operation). */
#define TIMED_LOOP(j, op)                                                      \
  do {                                                                         \
    for (int warm_ = 0; warm_ < WARMUP; warm_++)                               \
      op;                                                                      \
    int64_t t0_ = weft_now_ns();                                               \
    for (uint64_t i_ = 0; i_ < (j)->iters; i_++)                               \
      op;                                                                      \
    (j)->ns = (uint64_t)(weft_now_ns() - t0_);                                 \
  } while (0)

static uint64_t run(weft_fn main_fn, uint64_t iters) {
  job j = {.iters = iters, .ns = 0};
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1;
  check("weft_run", weft_run(&cfg, main_fn, &j, NULL));
  return j.ns;
}

/* Scales the time of `done` operations to `wanted` of them, for bodies that
 * must do an even number. */
static uint64_t scale(uint64_t ns, uint64_t done, uint64_t wanted) {
  if (done == wanted || done == 0)
    return ns;
  return (uint64_t)((double)ns * (double)wanted / (double)done);
}

static int empty_fn(void *arg, void **result) {
  (void)arg;
  (void)result;
  return 0;
}

/* ---- spawn + await ------------------------------------------------------ */

static void spawn_await_once(void) {
  weft_task *t;
  check("weft_spawn", weft_spawn(&t, empty_fn, NULL));
  check("weft_await", weft_await(t, NULL));
  weft_detach(t);
}

static int spawn_await_main(void *arg, void **result) {
  (void)result;
  TIMED_LOOP((job *)arg, spawn_await_once());
  return 0;
}

uint64_t bench_spawn_await(uint64_t iters) {
  return run(spawn_await_main, iters);
}

/* weft_await, depth calls below the caller; the empty asm after each call
 * keeps it a call, not a jump. */
static __attribute__((noinline)) int
await_at_depth(weft_task *t, int depth) { // NOLINT(misc-no-recursion)
  if (depth == 0)
    return weft_await(t, NULL);
  int err = await_at_depth(t, depth - 1);
  __asm__ volatile("");
  return err;
}

static void spawn_await_deep_once(void) {
  weft_task *t;
  check("weft_spawn", weft_spawn(&t, empty_fn, NULL));
  check("weft_await", await_at_depth(t, BENCH_AWAIT_DEPTH));
  weft_detach(t);
}

static int spawn_await_deep_main(void *arg, void **result) {
  (void)result;
  TIMED_LOOP((job *)arg, spawn_await_deep_once());
  return 0;
}

uint64_t bench_spawn_await_deep(uint64_t iters) {
  return run(spawn_await_deep_main, iters);
}

/* ---- yield, alone ------------------------------------------------------- */

static int yield_main(void *arg, void **result) {
  (void)result;
  TIMED_LOOP((job *)arg, check("weft_yield", weft_yield()));
  return 0;
}

uint64_t bench_yield(uint64_t iters) { return run(yield_main, iters); }

/* ---- yield, two tasks alternating --------------------------------------- */

static int yielder_fn(void *arg, void **result) {
  (void)result;
  uint64_t n = *(const uint64_t *)arg;
  for (uint64_t i = 0; i < n; i++)
    check("weft_yield", weft_yield());
  return 0;
}

static int yield_pair_main(void *arg, void **result) {
  (void)result;
  job *j = arg;
  uint64_t each = (j->iters + 1) / 2;
  uint64_t partner_n = WARMUP + each;
  weft_task *t;
  check("weft_spawn", weft_spawn(&t, yielder_fn, &partner_n));
  /* Both run WARMUP yields before the clock starts, then `each` more. */
  for (int i = 0; i < WARMUP; i++)
    check("weft_yield", weft_yield());
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < each; i++)
    check("weft_yield", weft_yield());
  check("weft_await", weft_await(t, NULL));
  j->ns = scale((uint64_t)(weft_now_ns() - t0), 2 * each, j->iters);
  weft_detach(t);
  return 0;
}

uint64_t bench_yield_pair(uint64_t iters) {
  return run(yield_pair_main, iters);
}

/* ---- sleep(0) ----------------------------------------------------------- */

static int sleep0_main(void *arg, void **result) {
  (void)result;
  TIMED_LOOP((job *)arg, check("weft_sleep_ns", weft_sleep_ns(0)));
  return 0;
}

uint64_t bench_sleep0(uint64_t iters) { return run(sleep0_main, iters); }

/* ---- bare context switch ------------------------------------------------ */

#define FIBER_STACK ((size_t)64 * 1024)

static weft__ctx ping_ctx, pong_ctx;

static weft__ctx_exit pong_entry(void *arg, void *pass) {
  (void)arg;
  (void)pass;
  for (;;)
    weft__ctx_switch(&pong_ctx, &ping_ctx, NULL);
  return (weft__ctx_exit){&ping_ctx, NULL}; /* not reached */
}

uint64_t bench_ctx_switch(uint64_t iters) {
  void *stack = aligned_alloc(64, FIBER_STACK);
  if (!stack)
    die("aligned_alloc", -ENOMEM);
  weft__ctx_make(&pong_ctx, stack, FIBER_STACK, pong_entry, NULL);
  /* Each round trip is two switches. */
  uint64_t rounds = (iters + 1) / 2;
  for (int i = 0; i < WARMUP; i++)
    weft__ctx_switch(&ping_ctx, &pong_ctx, NULL);
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < rounds; i++)
    weft__ctx_switch(&ping_ctx, &pong_ctx, NULL);
  uint64_t ns = (uint64_t)(weft_now_ns() - t0);
  free(stack); /* pong is parked in its loop and never resumed */
  return scale(ns, 2 * rounds, iters);
}

/* ---- spawn N, gather all ------------------------------------------------ */

static void spawn_gather_round(weft_task **ts, size_t n, weft_fn fn) {
  for (size_t i = 0; i < n; i++)
    check("weft_spawn", weft_spawn(&ts[i], fn, NULL));
  check("weft_gather", weft_gather(ts, n, NULL, NULL, 0));
  for (size_t i = 0; i < n; i++)
    weft_detach(ts[i]);
}

static int spawn_gather_main(void *arg, void **result) {
  (void)result;
  job *j = arg;
  weft_task **ts = malloc(BENCH_GATHER_N * sizeof *ts);
  if (!ts)
    die("malloc", -ENOMEM);
  spawn_gather_round(ts, BENCH_GATHER_N, empty_fn); /* warm-up */
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < j->iters; i++)
    spawn_gather_round(ts, BENCH_GATHER_N, empty_fn);
  j->ns = (uint64_t)(weft_now_ns() - t0);
  free(ts);
  return 0;
}

uint64_t bench_spawn_gather(uint64_t rounds) {
  return run(spawn_gather_main, rounds);
}

/* ---- 1000 sleepers of 1 ms ---------------------------------------------- */

static int sleeper_fn(void *arg, void **result) {
  (void)arg;
  (void)result;
  return weft_sleep_ms(BENCH_TIMER_SLEEP_MS);
}

static int timers_main(void *arg, void **result) {
  (void)result;
  job *j = arg;
  weft_task **ts = malloc(BENCH_TIMER_TASKS * sizeof *ts);
  if (!ts)
    die("malloc", -ENOMEM);
  spawn_gather_round(ts, BENCH_TIMER_TASKS, sleeper_fn); /* warm-up */
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < j->iters; i++)
    spawn_gather_round(ts, BENCH_TIMER_TASKS, sleeper_fn);
  j->ns = (uint64_t)(weft_now_ns() - t0);
  free(ts);
  return 0;
}

uint64_t bench_timers(uint64_t rounds) { return run(timers_main, rounds); }
