/* A yield at several workers when nothing else is ready on the yielding
 * task's worker goes on without a switch (rt/run.c, weft__multi_yield_alone);
 * it still lets others run when they are ready there, and the worker's
 * maintenance (timers) still comes round while a task does nothing but
 * yield, and so does the shutdown once the main task has returned. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "weft/stats.h"

#define YIELDS 20000
#define TURNS 200

static uint64_t switches_now(void) {
  weft_worker_stats w[8];
  weft_stats s;
  int n = weft_stats_get(NULL, &s, w, 8);
  CHECK(n > 0);
  uint64_t sw = 0;
  for (int i = 0; i < n; i++)
    sw += w[i].switches;
  return sw;
}

/* Alone: YIELDS yields cost far fewer switches than yields. */
static int lone_yields(void *arg, void **result) {
  (void)arg, (void)result;
  uint64_t before = switches_now();
  for (int i = 0; i < YIELDS; i++)
    CHECK_EQ(weft_yield(), 0);
  uint64_t used = switches_now() - before;
  fprintf(stderr, "  %d lone yields: %llu switches\n", YIELDS,
          (unsigned long long)used);
  /* The loop still runs every 61st tick (its maintenance), and the other
   * worker may poke in: well under one switch per 10 yields. */
  CHECK(used < YIELDS / 10);
  return 0;
}

/* Set once both tasks of a pair are spawned: a task may wait for it, so
 * that its partner is queued before it starts (on a loaded machine the
 * spawner can be descheduled between the two spawns). */
static int both_spawned;

/* Spawns fa(a) then fb(b), both pinned to `worker`, and awaits both. */
static void run_pinned_pair(int worker, weft_fn fa, void *a, weft_fn fb,
                            void *b) {
  weft_spawn_opts o;
  memset(&o, 0, sizeof o);
  o.pinned = true;
  o.worker = worker;
  weft_task *ta, *tb;
  __atomic_store_n(&both_spawned, 0, __ATOMIC_RELAXED);
  CHECK_EQ(weft_spawn_opt(&ta, fa, a, &o), 0);
  CHECK_EQ(weft_spawn_opt(&tb, fb, b, &o), 0);
  __atomic_store_n(&both_spawned, 1, __ATOMIC_RELEASE);
  CHECK_EQ(weft_await(ta, NULL), 0);
  CHECK_EQ(weft_await(tb, NULL), 0);
  weft_detach(ta);
  weft_detach(tb);
}

/* Two tasks pinned to one worker, yielding in turn, record who ran: each
 * yield must hand the worker to the other one. */
static int order[2 * TURNS];
static int filled;

static int taker(void *arg, void **result) {
  (void)result;
  int id = (int)(intptr_t)arg;
  while (!__atomic_load_n(&both_spawned, __ATOMIC_ACQUIRE))
    CHECK_EQ(weft_yield(), 0); /* not recorded: the partner may not exist */
  for (int i = 0; i < TURNS; i++) {
    order[filled++] = id; /* one worker: no race */
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int pinned_pair(void *arg, void **result) {
  (void)arg, (void)result;
  run_pinned_pair(1, taker, (void *)(intptr_t)1, taker, (void *)(intptr_t)2);
  CHECK_EQ(filled, 2 * TURNS);
  /* They alternate: a yield that went on alone while the other task was
   * ready would show as a run of turns (the first turns may come before
   * the other task has seen both_spawned). */
  int repeats = 0;
  for (int i = 1; i < 2 * TURNS; i++)
    repeats += order[i] == order[i - 1];
  fprintf(stderr, "  pinned pair: %d repeated turns of %d\n", repeats,
          2 * TURNS);
  CHECK(repeats <= 2);
  return 0;
}

/* A task pinned to a worker yields until a sleeper pinned to the same
 * worker wakes: the worker's timers fire although the yielder never
 * leaves the ready state. */
static int woke;

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  CHECK_EQ(weft_sleep_ms(5), 0);
  __atomic_store_n(&woke, 1, __ATOMIC_RELEASE);
  return 0;
}

static int spinner(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t give_up = weft_now_ns() + 5 * 1000000000LL;
  while (!__atomic_load_n(&woke, __ATOMIC_ACQUIRE)) {
    CHECK(weft_now_ns() < give_up);
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int timers_come_round(void *arg, void **result) {
  (void)arg, (void)result;
  run_pinned_pair(0, sleeper, NULL, spinner, NULL);
  return 0;
}

/* Tasks that do nothing but yield, on every worker, when the main task
 * returns: the shutdown still comes (a maintenance tick checks it), cancels
 * them, and each sees -ECANCELED from a yield. Before the check moved into
 * the maintenance tick, it ran only when a task returned to the loop on
 * that tick, which yielders switching to each other never do: the runtime
 * ran them forever. */
#define ENDLESS 64
static int endless_started, endless_done;

static int endless(void *arg, void **result) {
  (void)arg, (void)result;
  __atomic_fetch_add(&endless_started, 1, __ATOMIC_RELAXED);
  int64_t give_up = weft_now_ns() + 10 * 1000000000LL;
  int err;
  while ((err = weft_yield()) == 0)
    CHECK(weft_now_ns() < give_up);
  CHECK_EQ(err, -ECANCELED);
  __atomic_fetch_add(&endless_done, 1, __ATOMIC_RELAXED);
  return err;
}

static int shutdown_while_yielding(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < ENDLESS; i++) {
    weft_task *t;
    CHECK_EQ(weft_spawn(&t, endless, NULL), 0);
    weft_detach(t);
  }
  /* All of them yielding first: a task cancelled before its first run
   * would never enter its function (a slow TSan start left 13 so). */
  int64_t give_up = weft_now_ns() + 10 * 1000000000LL;
  while (__atomic_load_n(&endless_started, __ATOMIC_RELAXED) < ENDLESS) {
    CHECK(weft_now_ns() < give_up);
    CHECK_EQ(weft_sleep_ms(1), 0);
  }
  CHECK_EQ(weft_sleep_ms(10), 0);
  return 0; /* the runtime cancels the yielders */
}

int main(void) {
  RUN_WORKERS(lone_yields, 2);
  RUN_WORKERS(pinned_pair, 2);
  RUN_WORKERS(timers_come_round, 2);
  RUN_WORKERS(timers_come_round, 4);
  for (int n = 2; n <= 4; n += 2) {
    __atomic_store_n(&endless_started, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&endless_done, 0, __ATOMIC_RELAXED);
    RUN_WORKERS(shutdown_while_yielding, n);
    CHECK_EQ(__atomic_load_n(&endless_done, __ATOMIC_RELAXED), ENDLESS);
  }
  fprintf(stderr, "yield_alone: all passed\n");
  return 0;
}
