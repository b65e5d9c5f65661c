/* The deadline heap: (deadline, arming order), tombstones from cancelled
 * generations, and the rebuild when they pile up. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/timer.h"

enum { N = 1000 };
static weft_task tasks[N];
static int order[N * 2], norder;

static void fire(weft_task *t, void *ctx) {
  (void)ctx;
  order[norder++] = (int)(t - tasks);
}

int main(void) {
  weft__timers h;
  weft__timers_init(&h);
  for (int i = 0; i < N; i++)
    tasks[i].state = WEFT__T_REF; /* one reference, the test's; timers add
                                  and drop their own (rt/task.h) */
  CHECK_EQ(weft__timers_next(&h), INT64_MAX);

  /* Random deadlines with many ties. */
  srand(42);
  int64_t dl[N];
  for (int i = 0; i < N; i++) {
    dl[i] = rand() % 50;
    CHECK_EQ(weft__timers_add(&h, dl[i], &tasks[i], 0), 0);
  }
  CHECK_EQ(weft__timers_run(&h, 24, false, SIZE_MAX, fire, NULL),
           (size_t)norder);
  CHECK(weft__timers_next(&h) >= 25);
  /* A limit (rt/multi.c: the ring's room): the earliest max fire, the
   * rest stay armed and expired, and fire first at the next call. */
  int before = norder;
  CHECK_EQ(weft__timers_run(&h, 1000, false, 7, fire, NULL), 7);
  CHECK_EQ(norder, before + 7);
  CHECK(weft__timers_next(&h) <= 1000);
  CHECK_EQ(weft__timers_run(&h, 1000, false, 0, fire, NULL), 0);
  CHECK_EQ(norder, before + 7);
  weft__timers_run(&h, 1000, false, SIZE_MAX, fire, NULL);
  CHECK_EQ(norder, N);
  for (int k = 1; k < N; k++) {
    int a = order[k - 1], b = order[k];
    CHECK(dl[a] < dl[b] || (dl[a] == dl[b] && a < b));
  }
  for (int i = 0; i < N; i++) {
    CHECK_EQ(tasks[i].timer_gen, 1); /* claimed by the firing */
    CHECK_EQ(tasks[i].state / WEFT__T_REF, 1);
  }

  /* Cancelled generations do not fire, and a rebuild drops them. */
  norder = 0;
  for (int i = 0; i < N; i++)
    CHECK_EQ(weft__timers_add(&h, 100 + i, &tasks[i], 1), 0);
  for (int i = 0; i < N; i += 4) { /* keep every fourth */
    for (int j = i + 1; j < i + 4 && j < N; j++) {
      ck_pr_inc_32(&tasks[j].timer_gen);
      weft__timers_note_cancel(&h);
    }
  }
  CHECK_EQ(weft__timers_add(&h, 5000, &tasks[1], 77), 0); /* stale; rebuilds */
  CHECK(h.len <= N / 4 + 1);
  weft__timers_run(&h, 100000, false, SIZE_MAX, fire, NULL);
  CHECK_EQ(norder, N / 4);
  for (int k = 0; k < norder; k++)
    CHECK_EQ(order[k] % 4, 0);
  /* The monitor's try-lock gives up on a heap its worker holds. */
  CHECK_EQ(weft__timers_add(&h, 1, &tasks[2], tasks[2].timer_gen), 0);
  CHECK(!weft__timers_empty(&h));
  weft__spin_lock(&h.lock);
  CHECK_EQ(weft__timers_run(&h, 100, true, SIZE_MAX, fire, NULL), 0);
  weft__spin_unlock(&h.lock);
  CHECK_EQ(weft__timers_run(&h, 100, true, SIZE_MAX, fire, NULL), 1);
  CHECK(weft__timers_empty(&h));
  weft__timers_fini(&h);
  for (int i = 0; i < N; i++)
    CHECK_EQ(tasks[i].state / WEFT__T_REF, 1);
  fprintf(stderr, "timer: all passed\n");
  return 0;
}
