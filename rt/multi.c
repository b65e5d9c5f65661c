/*
 * rt/multi.c: the work-stealing loop, for a runtime with more than one
 * worker (DESIGN 3). With one worker the loop of rt/worker.c runs instead,
 * and keeps asyncio's order; here the aim is throughput and fairness.
 *
 * One tick of a worker:
 *  1. Every 61st tick, the maintenance (expired timers; the reactor, once
 *     it has sources) and then the inject queue (one task if this worker
 *     has local work, else a batch as in step 3), so neither waits forever
 *     behind a worker that always has local work (Go and Tokio use 61 too).
 *     Sooner when ticks are slow: the maintenance reads the clock, and if
 *     the last 61 ticks took longer than MAINTENANCE_PERIOD_NS, the next
 *     interval is shortened in proportion (down to every tick); it doubles
 *     back once ticks are fast again. Ticks are slow when tasks compute, or
 *     start on fresh stacks (a first touch of a page costs about 13 us
 *     here): 61 of those left expired timers waiting 0.8 ms, their wakes
 *     then came in bursts that overflowed the ring to the back of the
 *     inject queue, and each sleeper held its stack meanwhile, so that more
 *     new tasks took fresh stacks (timers at 2 workers).
 *  2. Local work: the LIFO slot, which holds the task this worker woke last
 *     (it runs next, while its data is warm), at most 3 times in a row so
 *     two tasks waking each other cannot starve the queue; then the ring.
 *  3. The inject queue: a fair share of it moves into the ring.
 *  4. Maintenance, then local work again.
 *  5. Search, if fewer than half the workers already do (rt/idle.h):
 *     steal half of a victim's ring, victims nearest first (rt/topo.c); a
 *     second pass also takes victims' LIFO slots, so a task woken by a
 *     worker that is now stuck in a long task still runs.
 *  6. Park: the handshake of rt/idle.h, then sleep in the driver until the
 *     next timer or a wake; while to_thread jobs are in flight, spin
 *     briefly first (rt/spin.c).
 * Yields: while every worker is busy (no one parked or searching at the
 * last maintenance), a yielding task goes on the worker's private list of
 * kept yields instead of its ring, and local work is taken from that list
 * last. No thief could take it anyway, and the ring's pop costs a CAS (4-6
 * ns of a 12 ns yield here); the private list costs none. At maintenance
 * the list moves to the back of the ring when another worker has become
 * idle (then one is woken to steal from it) or when other work reached this
 * worker meanwhile (so wakes cannot keep kept yields waiting for more than
 * an interval). Tokio's multi-thread runtime defers yields the same way, to
 * a list it drains at maintenance and before parking. As in Tokio, a worker
 * stuck in a task that never suspends holds its kept yields until it comes
 * back; the same worker's LIFO slot and pinned tasks wait the same way.
 * A worker that finds work while searching stops searching, and if it was
 * the last searcher it wakes another worker, since more work may be behind
 * it. A push of new work wakes a parked worker when nobody searches.
 *
 * Shutdown (DESIGN 4.4), checked when idle and every 61st tick: the first
 * worker to see the main task finished cancels every task and wakes all
 * workers; when no task is left, or the grace period has passed (stragglers
 * are reported), the runtime stops and every worker leaves its loop.
 */
#include <errno.h>
#include <time.h>

#include "rt/common.h"
#include "rt/current.h"
#include "rt/obs.h"
#include "rt/worker.h"

#define MAINTENANCE_INTERVAL 61
#define MAINTENANCE_PERIOD_NS ((int64_t)50 * 1000)
#define LIFO_MAX 3

/* WEFT_SCHED_RANDOM (a test build, STYLE habit 9; Go's randomizeScheduler):
 * scheduling choices are randomised, so tests meet the orders a busy
 * machine would produce only rarely: where a steal starts, whether a woken
 * task takes the LIFO slot. (rt/idle.c also wakes a random sleeper.) */
#if defined(WEFT_SCHED_RANDOM)
static uint32_t coin(weft__worker *w) {
  w->rand = w->rand * 1103515245u + 12345u;
  return w->rand >> 16;
}
#define RANDOM_START(w, n) (coin(w) % (uint32_t)(n))
#define SKIP_LIFO(w) (coin(w) & 1)
#else
#define RANDOM_START(w, n) ((void)(w), 0u)
#define SKIP_LIFO(w) ((void)(w), 0)
#endif

/* ---- pushing ------------------------------------------------------------ */

/* To the back of w's ring; a full ring sends its older half and t to the
 * inject queue (Tokio's overflow). */
static void ring_push(weft__worker *w, weft_task *t) {
  if (WEFT_LIKELY(weft__ring_push(&w->ring, t)))
    return;
  uint32_t n = weft__ring_take_half(&w->ring, w->overflow);
  weft__inject_push_batch(&w->rt->inject, w->overflow, n, t);
  WEFT__STAT_ADD(w, overflows, 1);
}

void weft__multi_notify(weft__runtime *rt) {
  int v = weft__idle_notify(&rt->idle);
  if (v >= 0) {
    weft__worker *w = weft__worker_current();
    /* v is the caller itself when a parking worker's reactor poll (its
     * second look, while it is on the sleepers' stack) made a task
     * runnable: that cancels its own park, it wakes no one, and the stats
     * and the trace do not count it as an unpark (tests/unit/trace). */
    if (w && w->rt == rt && v != w->index)
      WEFT__UNPARKED(w, v);
    weft__driver_wake(rt->workers[v].driver);
  }
}

void weft__multi_wake_all(weft__runtime *rt) {
  weft__idle_notify_all(&rt->idle);
  /* Every wake channel, parked or not: a worker between its last look and
   * its sleep then returns from the sleep at once. */
  for (int i = 0; i < rt->nworkers; i++)
    weft__driver_wake(rt->workers[i].driver);
}

/* Back in the queue it came from (a yield; a park cut short): no new work
 * for the others, so no notify, which would cost an RMW on the shared idle
 * word per yield. Pinned tasks stay on their own list. The slow path of
 * weft__worker_requeue (rt/worker.h), which tries the ring first. */
void weft__multi_requeue(weft__worker *w, weft_task *t) {
  if (WEFT_UNLIKELY(t->home >= 0))
    weft__runq_push(&w->pinned, t);
  else
    ring_push(w, t);
}

void weft__multi_push(weft__worker *w, weft_task *t, bool woken) {
  /* New work here: review_yields, weft__multi_next_fast. */
  w->fresh++;
  w->only_yields = false;
  if (WEFT_UNLIKELY(t->home >= 0)) { /* pinned: never in a ring or a slot */
    if (t->home == w->index) {
      weft__runq_push(&w->pinned, t);
    } else {
      weft__worker *home = &w->rt->workers[t->home];
      weft__inject_push(&home->inbox, t);
      weft__driver_wake(home->driver);
    }
    return;
  }
  /* Tokio's rule (its schedule_local): wake another worker only when this
   * one now has more than one task waiting, a woken task that displaced
   * another from the LIFO slot or a new task behind others. A lone task
   * runs here next, as soon as the running one suspends; notifying for it
   * costs an RMW on the shared idle word and a futile search by a worker
   * that finds it gone (ping-pong paid that per round trip). If the running
   * task holds the worker instead, the monitor notices the stuck tick and
   * notifies (rt/monitor.c), and the slot is stealable on a searcher's
   * last pass. */
  bool more;
  if (woken && !SKIP_LIFO(w)) {
    /* Exchange: a stealer's exchange on its last pass pairs with it. */
    weft_task *old = weft__exchange(&w->lifo, t);
    if (old)
      ring_push(w, old);
    more = old != NULL;
  } else {
    ring_push(w, t);
    more =
        weft__ring_len(&w->ring) + (weft__load_relaxed(&w->lifo) ? 1u : 0u) > 1;
  }
  if (more)
    weft__multi_notify(w->rt);
}

/* ---- finding work ---------------------------------------------------- */

static weft_task *lifo_take(weft_task **slot) {
  if (!weft__load_relaxed(slot))
    return NULL;
  return weft__exchange(slot, (weft_task *)NULL);
}

/* Step 3: one task to run and a fair share more into the ring, no more
 * than the ring has room for (so the pushes below never overflow). */
static weft_task *inject_take(weft__worker *w) {
  weft__runtime *rt = w->rt;
  size_t queued = weft__inject_len(&rt->inject);
  if (queued == 0)
    return NULL;
  uint32_t cap = weft__ring_capacity(&w->ring);
  uint32_t room = cap - weft__ring_len(&w->ring) + 1; /* +1: the one we run */
  size_t share = queued / (size_t)rt->nworkers + 1;
  uint32_t want = share < room ? (uint32_t)share : room;
  if (want > cap / 2)
    want = cap / 2;
  if (want == 0)
    want = 1;
  uint32_t n = weft__inject_pop_batch(&rt->inject, w->grab, want);
  if (n == 0)
    return NULL;
  WEFT__STAT_ADD(w, inject_pops, n);
  w->only_yields = false;
  for (uint32_t i = 1; i < n; i++)
    ring_push(w, w->grab[i]); /* fits; if not, overflow uses w->overflow */
  return w->grab[0];
}

/* Step 1: the inject queue's oldest task, so it cannot starve behind local
 * work; a worker with local work takes no batch (Tokio takes one task
 * here). A batch would fill the ring ahead of the tasks that this worker's
 * timers and wakes make runnable, until they overflow to the back of the
 * inject queue, behind every task it holds: a burst of new tasks (timers:
 * 100,000 spawned at once) then left its sleepers' wake-ups waiting there,
 * each sleeper holding its stack meanwhile, and each new task took a fresh
 * one. */
static weft_task *inject_take_one(weft__worker *w) {
  if (weft__ring_is_empty(&w->ring) && !weft__load_relaxed(&w->lifo))
    return inject_take(w);
  if (weft__inject_len(&w->rt->inject) == 0 ||
      weft__inject_pop_batch(&w->rt->inject, w->grab, 1) != 1)
    return NULL;
  WEFT__STAT_ADD(w, inject_pops, 1);
  return w->grab[0];
}

/* Pinned tasks: the inbox into the local list, then one of them. */
static weft_task *pinned_take(weft__worker *w) {
  if (weft__inject_len(&w->inbox)) {
    weft__inject_drain(&w->inbox, &w->pinned);
    w->fresh++; /* new work here: review_yields */
    w->only_yields = false;
  }
  return weft__runq_pop(&w->pinned);
}

/* Step 2. Pinned tasks take turns with the others (odd ticks first).
 * Inlined into its callers: it runs once per task switch, and the call
 * (with pinned_take's, on odd ticks) cost about a fifth of a yield's
 * instructions at 2 workers. pinned_take is asked only when there is a
 * pinned task or an inbox to drain, as it would find nothing otherwise. */
static inline __attribute__((always_inline)) weft_task *
local_take(weft__worker *w) {
  weft_task *t;
  if ((w->tick & 1) && (w->pinned.len || weft__inject_len(&w->inbox)) &&
      (t = pinned_take(w)))
    return t;
  if (w->lifo_streak < LIFO_MAX && (t = lifo_take(&w->lifo))) {
    w->lifo_streak++;
    return t;
  }
  w->lifo_streak = 0;
  if ((t = weft__ring_pop(&w->ring)) || (t = lifo_take(&w->lifo)) ||
      (t = pinned_take(w)))
    return t;
  return weft__runq_pop(&w->yielded);
}

/* Step 5. */
static weft_task *steal(weft__worker *w) {
  weft__runtime *rt = w->rt;
  int nv = rt->nworkers - 1;
  uint32_t start = RANDOM_START(w, nv);
  for (int pass = 0; pass < 2; pass++) {
    for (int k = 0; k < nv; k++) {
      int i = (int)((start + (uint32_t)k) % (uint32_t)nv);
      weft__worker *v = &rt->workers[w->victims[i]];
      WEFT__STAT_ADD(w, steals_tried, 1);
      weft_task *t = weft__ring_steal_into(&v->ring, &w->ring);
      if (!t && pass == 1)
        t = lifo_take(&v->lifo);
      if (t) {
        w->only_yields = false;
        WEFT__STOLEN(w, v, weft__ring_len(&w->ring) + 1);
        return t;
      }
    }
  }
  return inject_take(w);
}

static void stop_searching(weft__worker *w) {
  if (!w->searching)
    return;
  w->searching = false;
  if (weft__idle_stop_search(&w->rt->idle))
    weft__multi_notify(w->rt);
}

/* Steps 1 and 4: the expired timers, no more of them than the ring has
 * room for. A burst of wakes would overflow it, and the overflow sends the
 * ring's older half to the back of the inject queue, behind every new task
 * waiting there; the woken sleepers would hold their stacks all that time
 * (timers at 2 workers: 72-91 such overflows of 512 tasks per run, and new
 * tasks took fresh stacks meanwhile). Timers left over stay expired in the
 * heap, first in line for the next maintenance, which comes sooner as the
 * ring drains (the LIFO slot takes the first wake, so room is enough). */
static void fire_timers(weft__worker *w, int64_t now) {
  uint32_t room = weft__ring_capacity(&w->ring) - weft__ring_len(&w->ring);
  weft__worker_fire_timers_at(w, now, room);
}

/* Step 1, the kept yields (the top of the file): keep them while every
 * worker is busy and nothing else waits here, else move them to the back of
 * the ring, and wake a worker to steal them if one is idle. */
static void review_yields(weft__worker *w) {
  uint32_t fresh = w->fresh;
  w->fresh = 0;
  w->only_yields = false;
  w->keep_yields = weft__idle_all_busy(&w->rt->idle);
  if (!w->yielded.len)
    return;
  bool only = weft__ring_is_empty(&w->ring) && !weft__load_relaxed(&w->lifo) &&
              !w->pinned.len;
  /* Kept: nobody idle, and no new work is waiting ahead of them (what waits
   * in the ring without new pushes are earlier yields, moved here by an
   * earlier review: they drain by themselves). */
  if (w->keep_yields && (fresh == 0 || only)) {
    /* Nothing but kept yields here: the next tasks are theirs, until a
     * push of other work clears this (weft__multi_next_fast). */
    w->only_yields = only;
    return;
  }
  WEFT__STAT_ADD(w, yields_moved, w->yielded.len);
  for (weft_task *t; (t = weft__runq_pop(&w->yielded));)
    ring_push(w, t);
  if (!w->keep_yields)
    weft__multi_notify(w->rt);
}

/* Step 1's interval (the top of the file): the ticks until the next
 * maintenance, from how long the last interval took. */
static void plan_maintenance(weft__worker *w, int64_t now) {
  uint32_t every = w->maint_every;
  int64_t took = now - w->maint_ns;
  if (w->maint_ns == 0) {
    /* Unknown (the first interval, or one with a park in it). */
  } else if (took > MAINTENANCE_PERIOD_NS) {
    every = (uint32_t)((int64_t)every * MAINTENANCE_PERIOD_NS / took);
    if (every == 0)
      every = 1;
  } else if (every < MAINTENANCE_INTERVAL) {
    every = every * 2 < MAINTENANCE_INTERVAL ? every * 2 : MAINTENANCE_INTERVAL;
  }
  w->maint_ns = now;
  w->maint_every = every;
  w->maint_left = every;
}

static void shutdown_check(weft__worker *w);

static weft_task *next_task(weft__worker *w) {
  weft_task *t;
  /* An atomic store: the monitor samples the tick (rt/monitor.c). */
  weft__store_relaxed(&w->tick, w->tick + 1);
  if (--w->maint_left == 0) { /* 1 */
    if (!weft__timers_empty(&w->timers) ||
        w->maint_every < MAINTENANCE_INTERVAL) {
      int64_t now = weft_now_ns();
      plan_maintenance(w, now);
      fire_timers(w, now);
    } else { /* fast ticks, no timer: no clock read (a yield costs 12 ns) */
      w->maint_ns = 0;
      w->maint_left = MAINTENANCE_INTERVAL;
    }
    if (weft__driver_sources(w->driver) > 0) /* the reactor, zero timeout */
      weft__worker_poll(w, 0);
    review_yields(w);
    /* Here, whatever the tick's task then does: after a task returns to
     * the loop, this tick is long gone when it ran further tasks through
     * direct switches, and tasks that only yield never return to the loop
     * on a maintenance tick (a runtime whose main task had finished went on
     * running them, never shutting down: tests/unit/yield_alone). */
    shutdown_check(w);
    if (weft__load_acquire(&w->rt->stop))
      return NULL;
    if ((t = inject_take_one(w)))
      return t;
  }
  if ((t = local_take(w)) || (t = inject_take(w))) /* 2, 3 */
    return t;
  if (!weft__timers_empty(&w->timers)) /* 4 */
    fire_timers(w, weft_now_ns());
  if ((t = local_take(w)))
    return t;
  if (!w->searching && weft__idle_try_search(&w->rt->idle))
    w->searching = true;
  if (w->searching) /* 5 */
    return steal(w);
  return NULL;
}

/* For a direct switch from a task (rt/run.c): the next local task, or NULL
 * when the loop must act (searching, parking, and, every 61st tick, the
 * shutdown check and maintenance that only the loop runs). */
weft_task *weft__multi_next(weft__worker *w) {
  if (w->maint_left == 1) /* the next tick is the loop's maintenance tick */
    return NULL;
  weft_task *t = local_take(w);
  if (!t)
    t = inject_take(w);
  if (t) {
    weft__store_relaxed(&w->tick, w->tick + 1);
    w->maint_left--;
  }
  return t;
}

bool weft__multi_yield_alone(weft__worker *w) {
  /* maint_left == 1: the next tick is the loop's (as weft__multi_next). */
  if (w->maint_left == 1 || weft__load_relaxed(&w->lifo) ||
      weft__ring_len(&w->ring) || w->pinned.len ||
      weft__inject_len(&w->inbox) || weft__inject_len(&w->rt->inject))
    return false;
  weft__store_relaxed(&w->tick, w->tick + 1);
  w->maint_left--;
  return true;
}

/* ---- parking ------------------------------------------------------------ */

static bool work_anywhere(weft__runtime *rt) {
  if (weft__inject_len(&rt->inject))
    return true;
  for (int i = 0; i < rt->nworkers; i++)
    if (!weft__ring_is_empty(&rt->workers[i].ring) ||
        weft__load_relaxed(&rt->workers[i].lifo))
      return true;
  return false;
}

static bool has_local_work(weft__worker *w) {
  return !weft__ring_is_empty(&w->ring) || weft__load_relaxed(&w->lifo) ||
         w->pinned.len || w->yielded.len || weft__inject_len(&w->inbox);
}

/* Step 6. */
static void park(weft__worker *w) {
  weft__runtime *rt = w->rt;
  bool last = weft__idle_park(&rt->idle, w->index, w->searching);
  w->searching = false;
#if defined(WEFT_SCHED_RANDOM)
  /* Widen the window between announcing idle and the second look, where a
   * lost wake-up would happen (tests/unit/wake_pingpong.c). */
  if (coin(w) % 4 == 0) {
    struct timespec ts = {0, (long)(coin(w) % 20000)};
    nanosleep(&ts, NULL);
  }
#endif
  /* The last searcher to stop must not leave work behind (producers skip
   * the notify while someone searches): if there is some, it takes itself
   * off the sleepers and looks again instead of sleeping (unless a notify
   * took it off first, which leaves it searching). */
  if (last && work_anywhere(rt)) {
    w->searching = weft__idle_unpark(&rt->idle, w->index);
    return;
  }
  /* The second look (rt/idle.h, step 2): only the inject queue and our
   * inbox can have gained work for us; other rings' owners are awake. (A
   * push to the inbox also writes our wake channel.) */
  if (weft__inject_len(&rt->inject) == 0 && weft__inject_len(&w->inbox) == 0 &&
      !weft__load_relaxed(&rt->stop)) {
    int64_t next = weft__timers_next(&w->timers);
    if (weft__load_acquire(&rt->shutdown) == 2) {
      int64_t grace = weft__load_relaxed(&rt->grace_deadline);
      if (next > grace)
        next = grace;
    }
    int64_t timeout = -1;
    if (next != INT64_MAX) {
      int64_t now = weft_now_ns();
      timeout = next > now ? next - now : 0;
    }
    WEFT__STAT_ADD(w, parks, 1);
    WEFT__TRACE_PARK_BEGIN(w);
    weft__store_relaxed(&w->parked, 1u);
    weft__spin_worker(w, timeout); /* maybe: rt/spin.c */
    weft__worker_poll(w, timeout);
    weft__store_relaxed(&w->parked, 0u);
    WEFT__TRACE_PARK_END(w);
  }
  w->searching = weft__idle_unpark(&rt->idle, w->index);
}

/* ---- shutdown -------------------------------------------------------- */

static void stop(weft__runtime *rt) {
  weft__store_release(&rt->stop, 1u);
  weft__multi_wake_all(rt);
}

/* rt->shutdown: 0 running; 1 claimed by the worker that starts it; 2 the
 * grace deadline is set. Only 2 lets a worker judge the deadline. */
static void shutdown_check(weft__worker *w) {
  weft__runtime *rt = w->rt;
  uint32_t phase = weft__load_acquire(&rt->shutdown);
  if (phase == 0) {
    if (!weft__shutdown_wanted(rt))
      return;
    /* One worker starts it: the CAS elects it. */
    if (!ck_pr_cas_32(&rt->shutdown, 0, 1))
      return;
    weft__store_relaxed(&rt->grace_deadline,
                        weft_now_ns() +
                            (int64_t)(rt->cfg.shutdown_grace * 1e9));
    /* Release: the deadline is visible to whoever sees phase 2. */
    weft__store_release(&rt->shutdown, 2u);
    weft__cancel_all(rt);
    weft__multi_wake_all(rt);
    return;
  }
  if (phase != 2)
    return;
  if (weft__registry_count(rt) == 0) {
    stop(rt);
  } else if (weft_now_ns() >= weft__load_relaxed(&rt->grace_deadline)) {
    if (ck_pr_cas_32(&rt->reported, 0, 1))
      weft__report_stragglers(rt);
    stop(rt);
  }
}

/* ---- the loop -------------------------------------------------------- */

void weft__multi_loop(weft__worker *w) {
  weft__runtime *rt = w->rt;
  w->maint_left = w->maint_every = MAINTENANCE_INTERVAL;
  w->maint_ns = 0;
  while (!weft__load_acquire(&rt->stop)) {
    weft_task *t = next_task(w);
    if (t) {
      stop_searching(w);
      weft__run_task(w, t);
      continue;
    }
    shutdown_check(w); /* may have queued work (cancellations) */
    if (!weft__load_acquire(&rt->stop) && !has_local_work(w)) {
      park(w);
      w->maint_ns = 0; /* the sleep is not the ticks' time */
    }
  }
  stop_searching(w);
}
