/* rt/monitor.c: the monitor thread (see rt/monitor.h). */
#include "rt/monitor.h"

#include <errno.h>
#include <time.h>

#include "rt/alloc.h"
#include "rt/debug.h"
#include "rt/worker.h"

#define STUCK_NS ((int64_t)2 * 1000 * 1000)
#define MIN_PERIOD_NS ((int64_t)1000 * 1000)
#define MAX_PERIOD_NS ((int64_t)10 * 1000 * 1000)

typedef struct sample {
  uint64_t tick;
  int64_t since;     /* when the tick was last seen to move */
  uint64_t reported; /* debug mode: the last slow slice reported */
} sample;

/* A timer of a stuck worker fired by the monitor: the woken task goes to the
 * inject queue (the monitor is not a worker), where any worker finds it,
 * and to its front: it is late already, and whatever waits there was
 * queued after it was due. At the back, behind a burst of new tasks
 * (timers at 2 workers on a loaded machine: 100,000 spawned at once, and
 * thousands of sleepers rescued from a worker the OS had descheduled),
 * each sleeper held its stack until the burst was through, and the new
 * tasks took fresh ones. Go does the same with the timers one P runs for
 * another (their goroutines go to its runnext). Pinned tasks go home. */
static void fire_from_monitor(weft_task *t, void *ctx) {
  if (!weft__task_claim_wake(t))
    return;
  if (t->home >= 0)
    weft__sched_push_woken(t);
  else
    weft__runq_push(ctx, t);
}

static bool rescue(weft__runtime *rt, weft__worker *w, int64_t now) {
  /* Counted first, so whoever sees the rescue's effects sees the count. */
  weft__store_release(&rt->monitor_rescues, rt->monitor_rescues + 1);
  weft__runq due;
  weft__runq_init(&due);
  size_t fired = weft__timers_run(&w->timers, now, true, SIZE_MAX,
                                  fire_from_monitor, &due);
  weft__inject_push_front(&rt->inject, &due);
  weft__store_relaxed(&rt->monitor_timers, rt->monitor_timers + fired);
  /* Its reactor too, with a zero timeout: I/O events for fds homed on the
   * stuck worker would otherwise wait for it. epoll_wait on another
   * thread's epoll is safe, and io/reactor.c applies each event with a CAS,
   * so the worker and this thread may both poll; the tasks woken here go to
   * the inject queue, as the timers' do. */
  int polled = 0;
  if (weft__driver_sources(w->driver) > 0)
    polled = weft__driver_poll(w->driver, 0);
  if (!weft__ring_is_empty(&w->ring) || weft__load_relaxed(&w->lifo) || fired ||
      polled > 0)
    weft__multi_notify(rt);
  return true;
}

static void *monitor_main(void *arg) {
  weft__runtime *rt = arg;
  sample *s = weft__calloc((size_t)rt->nworkers * sizeof *s);
  if (!s)
    return NULL;
  int64_t period = MIN_PERIOD_NS;
  while (!weft__load_acquire(&rt->monitor_stop)) {
    struct timespec ts = {0, (long)period};
    nanosleep(&ts, NULL);
    int64_t now = weft_now_ns();
    bool any_stuck = false;
    for (int i = 0; i < rt->nworkers; i++) {
      weft__worker *w = &rt->workers[i];
      if (rt->cfg.debug)
        weft__debug_check_slow(w, now, &s[i].reported);
      if (rt->asyncio_order) /* one worker: nobody else could help */
        continue;
      uint64_t tick = weft__load_relaxed(&w->tick);
      if (tick != s[i].tick || weft__load_relaxed(&w->parked)) {
        s[i].tick = tick;
        s[i].since = now;
        continue;
      }
      if (now - s[i].since >= STUCK_NS)
        any_stuck = rescue(rt, w, now);
    }
    /* Sample often while something is stuck, back off while all is well. */
    period = any_stuck
                 ? MIN_PERIOD_NS
                 : (period * 2 > MAX_PERIOD_NS ? MAX_PERIOD_NS : period * 2);
  }
  weft__free(s, (size_t)rt->nworkers * sizeof *s);
  return NULL;
}

int weft__monitor_start(weft__runtime *rt) {
  int err = -pthread_create(&rt->monitor, NULL, monitor_main, rt);
  if (!err)
    rt->monitor_started = true;
  return err;
}

void weft__monitor_stop(weft__runtime *rt) {
  if (!rt->monitor_started)
    return;
  weft__store_release(&rt->monitor_stop, 1u);
  pthread_join(rt->monitor, NULL);
  rt->monitor_started = false;
}
