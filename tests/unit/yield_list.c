/* Kept yields (rt/multi.c, "yields"): while every worker is busy, a yield
 * goes on its worker's private list. The list must not cost anything but
 * speed:
 *  - wakes on the same worker cannot keep its kept yields waiting: the
 *    list moves to the ring when new work arrives (not_starved_by_wakes);
 *  - a worker that becomes idle gets a share of them: the list moves to the
 *    ring, where it steals (shared_when_idle).
 * (A shutdown while tasks only yield: tests/unit/yield_alone.)
 * Each case runs a few rounds: a wake lost between the list and a parked
 * worker shows as a round that never ends (ctest's timeout). */
#include <string.h>

#include "check.h"
#include "weft/stats.h"
#include "weft/sync.h"

#define MS 1000000LL
#define YIELDERS 16
#define ROUNDS 3

typedef struct yielder {
  int64_t last;    /* when it last ran, during the measure */
  int64_t max_gap; /* the longest wait between two of its runs, likewise */
  unsigned seen;   /* bit w: ran on worker w during the measure */
} yielder;

static yielder ys[YIELDERS];
static int measuring; /* 1 while gaps and workers are recorded: atomic */
static int stopping;  /* 1: yielders return: atomic */

static int load(int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/* Yields until told to stop (or 10 s: a hung case fails, not waits). */
static int yielder_fn(void *arg, void **result) {
  (void)result;
  yielder *y = arg;
  int64_t give_up = weft_now_ns() + 10000 * MS;
  while (!load(&stopping)) {
    int64_t now = weft_now_ns();
    CHECK(now < give_up);
    if (load(&measuring)) {
      if (y->last && now - y->last > y->max_gap)
        y->max_gap = now - y->last;
      y->last = now;
      int w = weft_worker_index();
      if (w >= 0 && w < 32)
        y->seen |= 1u << w;
    }
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static weft_task *yielders[YIELDERS];

/* Spawns the yielders from the calling task (its worker's ring). */
static int spawn_yielders(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < YIELDERS; i++) {
    memset(&ys[i], 0, sizeof ys[i]);
    CHECK_EQ(weft_spawn(&yielders[i], yielder_fn, &ys[i]), 0);
  }
  return 0;
}

static void await_yielders(void) {
  for (int i = 0; i < YIELDERS; i++) {
    CHECK_EQ(weft_await(yielders[i], NULL), 0);
    weft_detach(yielders[i]);
  }
}

static weft_task *spawn_on(int worker, weft_fn fn, void *arg) {
  weft_spawn_opts o;
  memset(&o, 0, sizeof o);
  o.pinned = true;
  o.worker = worker;
  weft_task *t;
  CHECK_EQ(weft_spawn_opt(&t, fn, arg, &o), 0);
  return t;
}

static void await_detach(weft_task *t) {
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
}

static uint64_t yields_moved(int worker) {
  weft_worker_stats w[8];
  CHECK(weft_stats_get(NULL, NULL, w, 8) > worker);
  return w[worker].yields_moved;
}

/* ---- not_starved_by_wakes ---------------------------------------------- */

static weft_queue *ping, *pong;
static long rounds_done;

/* A pinned pair on worker 0 waking each other: there is always a task of
 * theirs ready there, ahead of the kept yields in local_take's order. */
static int pinger(void *arg, void **result) {
  (void)arg, (void)result;
  void *item;
  while (!load(&stopping)) {
    CHECK_EQ(weft_queue_put(ping, &item), 0);
    CHECK_EQ(weft_queue_get(pong, &item), 0);
    rounds_done++;
  }
  CHECK_EQ(weft_queue_put(ping, NULL), 0); /* the ponger's stop */
  return 0;
}

static int ponger(void *arg, void **result) {
  (void)arg, (void)result;
  void *item;
  for (;;) {
    CHECK_EQ(weft_queue_get(ping, &item), 0);
    if (!item)
      return 0;
    CHECK_EQ(weft_queue_put(pong, item), 0);
  }
}

static int not_starved_by_wakes(void *arg, void **result) {
  (void)arg, (void)result;
  store(&stopping, 0);
  store(&measuring, 0);
  rounds_done = 0;
  CHECK_EQ(weft_queue_new(&ping, WEFT_QUEUE_FIFO, 1), 0);
  CHECK_EQ(weft_queue_new(&pong, WEFT_QUEUE_FIFO, 1), 0);
  /* Yielders start on worker 0; worker 1 steals its share while idle, then
   * both are busy and keep their yields. */
  await_detach(spawn_on(0, spawn_yielders, NULL));
  CHECK_EQ(weft_sleep_ms(20), 0);
  weft_task *a = spawn_on(0, pinger, NULL);
  weft_task *b = spawn_on(0, ponger, NULL);
  CHECK_EQ(weft_sleep_ms(20), 0);
  store(&measuring, 1);
  CHECK_EQ(weft_sleep_ms(300), 0);
  store(&measuring, 0);
  store(&stopping, 1);
  await_detach(a);
  await_detach(b);
  await_yielders();
  int64_t worst = 0;
  unsigned on = 0;
  for (int i = 0; i < YIELDERS; i++) {
    on |= ys[i].seen;
    if (ys[i].max_gap > worst)
      worst = ys[i].max_gap;
  }
  fprintf(stderr,
          "  %ld ping-pong rounds; longest wait of a yielder %.2f ms; "
          "workers seen 0x%x; worker 0 moved %llu yields\n",
          rounds_done, (double)worst / MS, on,
          (unsigned long long)yields_moved(0));
  /* Yielders ran on worker 0 beside the pair, none waited long. Without
   * the move at new work, those on worker 0 wait the whole 300 ms. */
  CHECK(on & 1u);
  CHECK(worst < 100 * MS);
  CHECK(rounds_done > 0);
  CHECK_EQ(weft_queue_free(ping), 0);
  CHECK_EQ(weft_queue_free(pong), 0);
  return 0;
}

/* ---- shared_when_idle -------------------------------------------------- */

static int hog_started;

/* Holds worker 1 busy without suspending for 50 ms: every worker is busy,
 * so worker 0 keeps its yields meanwhile. */
static int hog(void *arg, void **result) {
  (void)arg, (void)result;
  store(&hog_started, 1);
  int64_t until = weft_now_ns() + 50 * MS;
  while (weft_now_ns() < until)
    ;
  return 0;
}

static int shared_when_idle(void *arg, void **result) {
  (void)arg, (void)result;
  store(&stopping, 0);
  store(&measuring, 0);
  store(&hog_started, 0);
  uint64_t moved0 = yields_moved(0);
  weft_task *h = spawn_on(1, hog, NULL);
  int64_t give_up = weft_now_ns() + 5000 * MS;
  while (!load(&hog_started)) {
    CHECK(weft_now_ns() < give_up);
    CHECK_EQ(weft_sleep_ms(1), 0);
  }
  /* Spawned on worker 0 while worker 1 is in the hog: all start there. */
  await_detach(spawn_on(0, spawn_yielders, NULL));
  await_detach(h);
  /* Worker 1 is idle now: it must get a share of the yielders. */
  store(&measuring, 1);
  CHECK_EQ(weft_sleep_ms(100), 0);
  store(&measuring, 0);
  store(&stopping, 1);
  await_yielders();
  unsigned on = 0;
  int on1 = 0;
  for (int i = 0; i < YIELDERS; i++) {
    on |= ys[i].seen;
    on1 += (ys[i].seen & 2u) != 0;
  }
  uint64_t moved = yields_moved(0) - moved0;
  fprintf(stderr,
          "  after the hog: %d of %d yielders ran on worker 1; worker 0 "
          "moved %llu yields\n",
          on1, YIELDERS, (unsigned long long)moved);
  CHECK(on & 2u);
  CHECK(moved > 0);
  return 0;
}

int main(void) {
  for (int r = 0; r < ROUNDS; r++) {
    RUN_WORKERS(not_starved_by_wakes, 2);
    RUN_WORKERS(shared_when_idle, 2);
  }
  fprintf(stderr, "yield_list: all passed\n");
  return 0;
}
