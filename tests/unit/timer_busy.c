/* Timers on a worker that always has local work (rt/multi.c, step 1): its
 * maintenance, which fires them, comes every 61 ticks, or sooner when the
 * ticks are slow. Two pinned tasks on worker 0 compute 2 ms between
 * yields, so the worker never runs out of work and 61 ticks take 122 ms; a
 * pinned sleeper there must still wake about when it asked, not a 61-tick
 * interval later. Lateness is counted in the spinners' slices that pass
 * while it sleeps 1 ms, not in time, so a loaded machine (a sanitizer
 * build beside other tests) does not move it: a few when the timer fires
 * at the next tick and the sleeper waits its turn behind one or two
 * slices; about 60 with the interval fixed at 61 ticks. Then the inject
 * queue's front push (rt/inject.c), which the monitor uses for timers it
 * fires for a stuck worker. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "rt/inject.h"
#include "rt/task.h"

enum { SPINNERS = 2, SLEEPS = 10, WARM = 2 };
#define SPIN_NS ((int64_t)2 * 1000 * 1000)
#define SLEEP_MS 1
#define BOUND_SLICES 12

static uint32_t stop;   /* atomic */
static uint64_t slices; /* the spinners' finished slices: atomic */

static int spinner(void *arg, void **result) {
  (void)arg, (void)result;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    int64_t t0 = weft_now_ns();
    while (weft_now_ns() - t0 < SPIN_NS) {
    }
    __atomic_add_fetch(&slices, 1, __ATOMIC_RELAXED);
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t late[SLEEPS];
  for (int i = 0; i < SLEEPS; i++) {
    uint64_t k0 = __atomic_load_n(&slices, __ATOMIC_RELAXED);
    CHECK_EQ(weft_sleep_ms(SLEEP_MS), 0);
    late[i] = (int64_t)(__atomic_load_n(&slices, __ATOMIC_RELAXED) - k0);
  }
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  /* The first sleeps may fall in the slow interval that teaches the worker
   * its ticks are slow. */
  qsort(late + WARM, SLEEPS - WARM, sizeof *late, cmp_i64);
  int64_t median = late[WARM + (SLEEPS - WARM) / 2];
  fprintf(stderr, "   median sleep: %lld slices of 2 ms (bound %d)\n",
          (long long)median, BOUND_SLICES);
  CHECK(median <= BOUND_SLICES);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_spawn_opts on0 = {.pinned = true, .worker = 0};
  weft_task *sp[SPINNERS];
  weft_task *sl;
  for (int i = 0; i < SPINNERS; i++)
    CHECK_EQ(weft_spawn_opt(&sp[i], spinner, NULL, &on0), 0);
  CHECK_EQ(weft_spawn_opt(&sl, sleeper, NULL, &on0), 0);
  CHECK_EQ(weft_await(sl, NULL), 0);
  weft_detach(sl);
  for (int i = 0; i < SPINNERS; i++) {
    CHECK_EQ(weft_await(sp[i], NULL), 0);
    weft_detach(sp[i]);
  }
  return 0;
}

static void check_inject_front(void) {
  static weft_task t[5];
  weft__inject in;
  weft__inject_init(&in);
  weft__runq front;
  weft__runq_init(&front);
  weft__inject_push_front(&in, &front); /* empty: nothing changes */
  CHECK_EQ(weft__inject_len(&in), 0);
  weft__inject_push_front(&in, &front);
  weft__inject_push(&in, &t[0]);
  weft__inject_push(&in, &t[1]);
  weft__runq_push(&front, &t[2]);
  weft__runq_push(&front, &t[3]);
  weft__inject_push_front(&in, &front);
  CHECK_EQ(front.len, 0);
  weft__inject_push(&in, &t[4]);
  CHECK_EQ(weft__inject_len(&in), 5);
  weft_task *out[5];
  CHECK_EQ(weft__inject_pop_batch(&in, out, 5), 5);
  const int want[5] = {2, 3, 0, 1, 4};
  for (int i = 0; i < 5; i++)
    CHECK(out[i] == &t[want[i]]);
  CHECK_EQ(weft__inject_len(&in), 0);
  /* Into an empty queue. */
  weft__runq_push(&front, &t[1]);
  weft__inject_push_front(&in, &front);
  weft__inject_push(&in, &t[0]);
  CHECK_EQ(weft__inject_pop_batch(&in, out, 5), 2);
  CHECK(out[0] == &t[1] && out[1] == &t[0]);
  weft__inject_fini(&in);
}

int main(void) {
  RUN_WORKERS(main_task, 2);
  check_inject_front();
  fprintf(stderr, "timer_busy: all passed\n");
  return 0;
}
