/*
 * rt/worker.c: the worker loop, running tasks, and finishing them.
 *
 * One tick of the loop (asyncio's BaseEventLoop._run_once):
 *  1. If nothing is ready: sleep in the driver (epoll) until the next timer,
 *     a wake, or I/O. Otherwise poll I/O with a zero timeout, and only when
 *     I/O sources are registered (the poll is a syscall; with none there is
 *     nothing it could report).
 *  2. Move tasks from the inject queue to the back of the ready queue.
 *  3. Fire expired timers in (deadline, arming order): their tasks go to the
 *     back of the ready queue.
 *  4. Run a batch: exactly the tasks ready now. What becomes ready while the
 *     batch runs waits for the next batch, as in asyncio.
 *  5. Shutdown (DESIGN 4.4): when the main task has finished, cancel every
 *     remaining task, keep running until none is left or the grace period
 *     ends, then report stragglers by name and spawn site and stop.
 *
 * Running a task, and the switches in and out of it, are in rt/run.c; the
 * state word is described in rt/task.c. Tasks run steps 1-4 themselves when
 * they can (weft__worker_boundary), so the loop's own context is entered
 * only to sleep, to shut down, or for what needs it (rt/run.c, step 1).
 */
#include "rt/worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/common.h"
#include "rt/current.h"
#include "rt/debug.h"
#include "rt/fiber.h"
#include "rt/order_test.h"
#include "rt/trace.h"

/* ---- queues ------------------------------------------------------------ */

void weft__sched_push_slow(weft__worker *w, weft_task *t, bool woken) {
  weft__runtime *rt = t->rt;
  if (WEFT_LIKELY(w && w->rt == rt)) {
    if (!rt->asyncio_order)
      weft__multi_push(w, t, woken);
    else if (!weft__order_push(w, t))
      weft__runq_push(&w->runq, t);
    return;
  }
  if (t->home >= 0) { /* pinned, from another thread: to its inbox */
    weft__worker *home = &rt->workers[t->home];
    weft__inject_push(&home->inbox, t);
    weft__driver_wake(home->driver);
    return;
  }
  weft__inject_push(&rt->inject, t);
  if (rt->asyncio_order)
    weft__driver_wake(rt->workers[0].driver);
  else
    weft__multi_notify(rt);
}

void weft__sched_push(weft_task *t) {
  weft__sched_push_on(weft__worker_current(), t, false);
}
void weft__sched_push_woken(weft_task *t) {
  weft__sched_push_on(weft__worker_current(), t, true);
}

/* ---- the reactor ------------------------------------------------------- */

int weft__worker_poll(weft__worker *w, int64_t timeout_ns) {
  int n = weft__driver_poll(w->driver, timeout_ns);
  WEFT__STAT_ADD(w, polls, 1);
  if (n > 0) {
    WEFT__STAT_ADD(w, io_events, (uint64_t)n);
    WEFT__TRACE(w, WEFT__TR_IO, 0, n);
  }
  return n;
}

/* ---- the registry ------------------------------------------------------ */

int weft__registry_init(weft__runtime *rt) {
  rt->nshards = rt->asyncio_order ? 1 : rt->nworkers + 1;
  rt->shards = weft__calloc((size_t)rt->nshards * sizeof *rt->shards);
  if (!rt->shards) {
    rt->nshards = 0;
    return -ENOMEM;
  }
  for (int i = 0; i < rt->nshards; i++)
    rt->shards[i].lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
  return 0;
}

void weft__registry_fini(weft__runtime *rt) {
  weft__free(rt->shards, (size_t)rt->nshards * sizeof *rt->shards);
  rt->shards = NULL;
  rt->nshards = 0;
}

uint64_t weft__registry_count(const weft__runtime *rt) {
  uint64_t n = 0;
  /* Acquire: pairs with the release store in weft__registry_remove. */
  for (int i = 0; i < rt->nshards; i++)
    n += weft__load_acquire(&rt->shards[i].count);
  return n;
}

/* The first task of the first non-empty shard from index i on, or NULL. */
static weft_task *shard_head_from(const weft__runtime *rt, int i) {
  for (; i < rt->nshards; i++)
    if (rt->shards[i].head)
      return rt->shards[i].head;
  return NULL;
}

weft_task *weft__registry_first(const weft__runtime *rt) {
  return shard_head_from(rt, 0);
}

weft_task *weft__registry_next(const weft__runtime *rt, const weft_task *t) {
  return t->reg_next ? t->reg_next : shard_head_from(rt, (int)t->reg_shard + 1);
}

void weft__registry_lock_all(weft__runtime *rt) {
  for (int i = 0; i < rt->nshards; i++)
    weft__spin_lock(&rt->shards[i].lock);
}

void weft__registry_unlock_all(weft__runtime *rt) {
  for (int i = rt->nshards - 1; i >= 0; i--)
    weft__spin_unlock(&rt->shards[i].lock);
}

static void fire_timer(weft_task *t, void *ctx) {
  weft__worker *w = ctx;
  /* asyncio: a timer runs a callback that completes a future, whose own
   * callback then wakes the task: one hop more than a direct wake. */
  if (w->rt->asyncio_order)
    t->hops = 1;
  WEFT__STAT_ADD(w, timers_fired, 1);
  WEFT__TRACE_TASK(w, WEFT__TR_TIMER, t);
  weft__task_wake(t);
}

/* ---- shutdown ---------------------------------------------------------- */

void weft__cancel_all(weft__runtime *rt) {
  weft__registry_lock_all(rt);
  /* weft_cancel on a worker thread only pushes to this worker's queue. */
  for (weft_task *t = weft__registry_first(rt); t;
       t = weft__registry_next(rt, t)) {
    if (rt->cfg.debug)
      weft__debug_pending(t);
    weft_cancel(t);
  }
  weft__registry_unlock_all(rt);
}

void weft__cancel_hooked(weft__runtime *rt, const void *ctx) {
  weft__registry_lock_all(rt);
  for (weft_task *t = weft__registry_first(rt); t;
       t = weft__registry_next(rt, t))
    if (t->on_done && t->on_done_ctx == ctx)
      weft_cancel(t);
  weft__registry_unlock_all(rt);
}

void weft__report_stragglers(weft__runtime *rt) {
  weft__registry_lock_all(rt);
  for (weft_task *t = weft__registry_first(rt); t;
       t = weft__registry_next(rt, t)) {
    char what[160];
    weft__task_describe(t, what, sizeof what);
    fprintf(stderr,
            "weft: shutdown: %s ignored cancellation for %.3g s and was "
            "abandoned\n",
            what, rt->cfg.shutdown_grace);
  }
  weft__registry_unlock_all(rt);
}

/* Step 5 of the tick, after each batch. Returns true when the loop should
 * stop. As asyncio.run, the loop stops one batch after the main task
 * finished (its done-callback is queued behind what was ready then), so
 * tasks ready at that moment take one more step before they are cancelled. */
static bool shutdown_step(weft__worker *w) {
  weft__runtime *rt = w->rt;
  if (!weft__load_relaxed(&rt->shutdown)) {
    if (!weft__shutdown_wanted(rt))
      return false;
    if (!rt->main_seen) {
      rt->main_seen = true;
      return false;
    }
    weft__store_relaxed(&rt->shutdown, 1u);
    rt->grace_deadline =
        weft_now_ns() + (int64_t)(rt->cfg.shutdown_grace * 1e9);
    weft__cancel_all(rt);
  }
  if (weft__registry_count(rt) == 0)
    return true;
  if (weft_now_ns() >= rt->grace_deadline) {
    weft__report_stragglers(rt);
    return true;
  }
  return false;
}

/* ---- the loop ---------------------------------------------------------- */

/* Steps 2 and 3 of a tick: the inject queue, then expired timers, to the
 * back of the ready queue. */
static inline void collect_ready(weft__worker *w) {
  w->batch_seq++;
  /* The length first, inline: almost always nothing was injected. */
  if (weft__inject_len(&w->rt->inject))
    WEFT__STAT_ADD(w, inject_pops,
                   weft__inject_drain(&w->rt->inject, &w->runq));
  weft__worker_fire_timers(w);
}

bool weft__worker_boundary(weft__worker *w) {
  weft__runtime *rt = w->rt;
  /* The loop is needed for shutdown (step 5) and for sleeping (step 1). */
  if (!rt->asyncio_order || weft__load_relaxed(&rt->shutdown) ||
      weft__shutdown_wanted(rt))
    return false;
  if (w->runq.len == 0 && weft__inject_len(&rt->inject) == 0)
    return false;
  if (weft__driver_sources(w->driver) > 0)
    weft__worker_poll(w, 0);
  collect_ready(w);
  w->batch_left = w->runq.len;
  return true;
}

void weft__worker_thread_begin(weft__worker *w) {
  weft__worker_set_current(w);
  weft__order_init(w);
#if defined(WEFT_TSAN)
  w->tsan_fiber = __tsan_get_current_fiber();
  weft__fiber_cache_warm(w);
#endif
#if defined(WEFT_ASAN)
  /* The thread's own stack, which ASan must be told of when a task
   * switches back to this loop. */
  pthread_attr_t attr;
  void *lo = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_destroy(&attr);
  }
  w->sched_stack_lo = lo;
  w->sched_stack_size = size;
#endif
}

void weft__worker_fire_timers_at(weft__worker *w, int64_t now, size_t max) {
  weft__timers_run(&w->timers, now, false, max, fire_timer, w);
}

void weft__worker_loop(weft__worker *w) {
  weft__runtime *rt = w->rt;
  weft__worker_thread_begin(w);
  if (!rt->asyncio_order) {
    weft__multi_loop(w);
    weft__worker_set_current(NULL);
    return;
  }
  for (;;) {
    /* 1. */
    bool idle = w->runq.len == 0 && weft__inject_len(&rt->inject) == 0;
    if (idle && shutdown_step(w)) /* an empty batch also ends a tick */
      break;
    if (idle && w->runq.len == 0) {
      int64_t next = weft__timers_next(&w->timers);
      if (weft__load_relaxed(&rt->shutdown) && next > rt->grace_deadline)
        next = rt->grace_deadline;
      int64_t timeout = -1;
      if (next != INT64_MAX) {
        int64_t now = weft_now_ns();
        timeout = next > now ? next - now : 0;
      }
      WEFT__STAT_ADD(w, parks, 1);
      WEFT__TRACE_PARK_BEGIN(w);
      weft__spin_worker(w, timeout); /* maybe: rt/spin.c */
      weft__worker_poll(w, timeout);
      WEFT__TRACE_PARK_END(w);
    } else if (weft__driver_sources(w->driver) > 0) {
      weft__worker_poll(w, 0);
    }
    collect_ready(w); /* 2 and 3 */
    /* 4. */
    weft__order_batch(w, w->runq.len);
    for (weft_task *t; (t = weft__order_take(w));)
      weft__run_task(w, t);
    /* Tasks may take batch items themselves (direct switches, rt/run.c). */
    for (w->batch_left = w->runq.len; w->batch_left > 0;) {
      w->batch_left--;
      weft__run_task(w, weft__runq_pop(&w->runq));
      for (weft_task *t; (t = weft__order_take(w));)
        weft__run_task(w, t);
    }
    /* 5. */
    if (shutdown_step(w))
      break;
  }
  weft__worker_set_current(NULL);
}
