/* The monitor thread: while a task holds worker 0 in a long computation,
 * the timers armed on worker 0 still fire (the monitor fires them) and the
 * work queued behind it is taken by the other worker. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "rt/atomic.h"
#include "rt/current.h"
#include "rt/worker.h"

static weft_task *sleeper_task;
static uint32_t other_ran, sleeping; /* atomic */

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  __atomic_store_n(&sleeping, 1, __ATOMIC_RELEASE);
  return weft_sleep_ms(5);
}

static int other(void *arg, void **result) {
  (void)arg, (void)result;
  __atomic_store_n(&other_ran, 1, __ATOMIC_RELEASE);
  return 0;
}

static int spinner(void *arg, void **result) {
  (void)arg, (void)result;
  /* The sleeper arms its timer on worker 0 and parks. */
  while (!__atomic_load_n(&sleeping, __ATOMIC_ACQUIRE) ||
         (weft__load_acquire(&sleeper_task->state) & WEFT__T_RUNNING))
    CHECK_EQ(weft_yield(), 0);
  weft_task *o;
  CHECK_EQ(weft_spawn(&o, other, NULL), 0); /* queued behind us */
  weft_detach(o);
  int64_t t0 = weft_now_ns();
  bool woken = false, ran = false;
  /* Never suspends: worker 0 is stuck here for up to 5 s. */
  while (weft_now_ns() - t0 < 5000000000LL && !(woken && ran)) {
    uint32_t s = weft__load_acquire(&sleeper_task->state);
    woken = woken || (s & (WEFT__T_SCHEDULED | WEFT__T_DONE));
    ran = __atomic_load_n(&other_ran, __ATOMIC_ACQUIRE);
  }
  CHECK(woken); /* its timer fired while we held the worker */
  CHECK(ran);   /* the other worker took the queued task */
  fprintf(stderr, "   rescued after %.1f ms\n",
          (double)(weft_now_ns() - t0) / 1e6);
  CHECK(weft__load_relaxed(&weft__worker_current()->rt->monitor_rescues) > 0);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *sp;
  weft_spawn_opts on0 = {.pinned = true, .worker = 0};
  CHECK_EQ(weft_spawn_opt(&sleeper_task, sleeper, NULL, &on0), 0);
  CHECK_EQ(weft_spawn_opt(&sp, spinner, NULL, &on0), 0);
  CHECK_EQ(weft_await(sp, NULL), 0);
  CHECK_EQ(weft_await(sleeper_task, NULL), 0);
  weft_detach(sp);
  weft_detach(sleeper_task);
  return 0;
}

int main(void) {
  RUN_WORKERS(main_task, 2);
  fprintf(stderr, "monitor: all passed\n");
  return 0;
}
