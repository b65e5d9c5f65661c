/*
 * rt/waitset.c: waiting on a set of tasks: asyncio.gather and asyncio.wait.
 *
 * The caller links one waiter into each unfinished task's awaiter queue,
 * each with a filter that counts completions in a shared state (atomics: the
 * tasks may finish on different workers) and wakes the caller only when the
 * wait is complete: every task finished, or the first one finished, or the
 * first one failed, depending on the mode. Waking only at completion is what
 * asyncio does (the children's done-callbacks count; the outer future
 * completes once) and keeps the caller's place in the ready queue the same
 * as asyncio's.
 *
 * "First" is in finishing order (task->finish_seq), as asyncio's first
 * done-callback to run wins.
 *
 * Cancelling the caller: gather cancels every unfinished task and waits for
 * all of them, then reports -ECANCELED (asyncio's _GatheringFuture.cancel);
 * wait leaves the tasks alone and returns -ECANCELED at once (asyncio.wait
 * only cancels its private waiter future).
 *
 * asyncio order: asyncio resumes the caller two loop hops after the
 * completing child finished (the child's done-callback, then the outer
 * future's callback). The caller is woken at the first hop's place and
 * yields once for the second; if nothing was left to wait for, both hops are
 * still taken (asyncio still schedules the callbacks and suspends).
 */
#include <errno.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/debug.h"
#include "rt/task.h"
#include "rt/worker.h"

typedef enum mode {
  UNTIL_ALL,       /* every task finished */
  UNTIL_ANY_ERROR, /* gather: a failure, cancellation included */
  UNTIL_EXCEPTION, /* wait FIRST_EXCEPTION: a failure, not a cancellation */
  UNTIL_FIRST,     /* wait FIRST_COMPLETED */
} mode;

typedef struct set_state {
  uint32_t remaining; /* unfinished tasks: atomic */
  uint32_t complete;  /* the mode's condition held early: atomic */
  uint32_t mode;      /* a mode; gather switches to UNTIL_ALL when cancelled:
                         atomic */
  uint32_t cancelled; /* gather: the caller's cancel was forwarded: atomic */
  weft_task *const *tasks;
  size_t n;
} set_state;

static bool ends_early(uint32_t m, int status) {
  switch (m) {
  case UNTIL_FIRST:
    return true;
  case UNTIL_ANY_ERROR:
    return status != 0;
  case UNTIL_EXCEPTION:
    return status != 0 && status != -ECANCELED;
  default:
    return false;
  }
}

/* Runs in the finishing task's worker, under its awaiter queue's lock;
 * status is the finished task's code. */
static bool on_finish(weft__waiter *w, int status) {
  set_state *g = w->ctx;
  if (ck_pr_faa_32(&g->remaining, (uint32_t)-1) == 1)
    return true; /* the last one always wakes */
  return ends_early(weft__load_relaxed(&g->mode), status) &&
         weft__exchange(&g->complete, 1u) == 0;
}

static bool is_done(const weft_task *t) {
  return weft__load_acquire(&t->state) & WEFT__T_DONE;
}

/* The gathering task's cancel forward: cancel every task and wait for all
 * of them (asyncio's _GatheringFuture.cancel). Declines once the gather is
 * complete, and the caller itself is then cancelled. */
static bool forward_gather(void *ctx) {
  set_state *g = ctx;
  if (weft__load_acquire(&g->remaining) == 0 ||
      weft__load_acquire(&g->complete))
    return false;
  weft__store_relaxed(&g->mode, (uint32_t)UNTIL_ALL);
  weft__exchange(&g->cancelled, 1u);
  for (size_t i = 0; i < g->n; i++)
    weft_cancel(g->tasks[i]);
  return true;
}

static int check_args(weft_task *const *tasks, size_t n, weft_task *self) {
  if (n && !tasks)
    return -EINVAL;
  if (!self)
    return -EPERM;
  for (size_t i = 0; i < n; i++) {
    if (!tasks[i])
      return -EINVAL;
    weft__task_check(tasks[i], "weft_gather/weft_wait");
    if (tasks[i] == self)
      return -EDEADLK;
    if (WEFT_UNLIKELY(tasks[i]->dbg))
      weft__debug_awaited(tasks[i]);
  }
  return 0;
}

/* Waits on the set until the mode's condition holds. Returns 0, or
 * -ECANCELED if the caller was cancelled (gather: after cancelling the tasks
 * and waiting for all of them), or -ENOMEM. */
static int wait_set(weft_task *self, weft_task *const *tasks, size_t n, mode m,
                    bool gather) {
  weft__waiter local[8];
  weft__waiter *ws = local;
  if (n > sizeof local / sizeof local[0]) {
    ws = weft__alloc(n * sizeof *ws);
    if (!ws)
      return -ENOMEM;
  }
  set_state g = {.remaining = (uint32_t)n,
                 .complete = 0,
                 .mode = m,
                 .cancelled = 0,
                 .tasks = tasks,
                 .n = n};
  for (size_t i = 0; i < n; i++) {
    weft_task *t = tasks[i];
    ws[i].task = NULL; /* marks "not linked" */
    weft__waitq_lock(&t->awaiters);
    if (weft__task_awaiters_mark(t)) { /* not DONE: WAITQ set */
      weft__waitq_push_locked(&t->awaiters, &ws[i], self);
      ws[i].filter = on_finish;
      ws[i].ctx = &g;
    } else {
      /* Atomics: tasks linked earlier may be finishing on other workers,
       * and their filters change the same words. */
      ck_pr_dec_32(&g.remaining);
      if (ends_early(m, t->code))
        weft__exchange(&g.complete, 1u);
    }
    weft__waitq_unlock(&t->awaiters);
  }
  bool suspended = false, left = false, kept = false;
  if (gather)
    weft__cancel_forward_set(self, forward_gather, &g);
  /* Acquire loads: pair with the filters' RMWs in finishing workers. */
  while (
      weft__load_acquire(&g.remaining) != 0 &&
      (weft__load_acquire(&g.cancelled) || !weft__load_acquire(&g.complete))) {
    if (weft__cancel_take(self)) {
      /* Cancelled before the forward was set (or a plain wait). */
      if (!gather) {
        left = true;
        break;
      }
      /* Passed on to the children, unless the gather completed meanwhile
       * (a child finishing on another worker): then it is ours to deliver,
       * as forward_gather's decline means. */
      if (!forward_gather(&g)) {
        kept = true;
        break;
      }
      continue;
    }
    WEFT__WAIT_SET(self, gather ? "gather" : "wait", WEFT__WAIT_COUNT,
                   weft__load_relaxed(&g.remaining));
    weft__park();
    WEFT__WAIT_CLEAR(self);
    suspended = true;
  }
  if (gather)
    weft__cancel_forward_clear(self);
  for (size_t i = 0; i < n; i++)
    if (ws[i].task)
      weft__waitq_remove(&tasks[i]->awaiters, &ws[i]);
  if (ws != local)
    weft__free(ws, n * sizeof *ws);
  bool cancelled = left || kept || weft__load_relaxed(&g.cancelled);
  if (n && self->rt->asyncio_order && !left) {
    if (!suspended)
      weft__asyncio_hop();
    weft__asyncio_hop();
  }
  /* A cancel that came after completion is delivered here: the wait is
   * still the current suspension point (asyncio throws it into the await). */
  if (!cancelled && weft__cancel_take(self))
    cancelled = true;
  return cancelled ? -ECANCELED : 0;
}

int weft_gather(weft_task *const *tasks, size_t n, void **results,
                int *statuses, unsigned flags) {
  weft_task *self = weft__self();
  int err = check_args(tasks, n, self);
  if (err)
    return err;
  if (flags & ~(unsigned)WEFT_GATHER_ALL)
    return -EINVAL;
  bool all = flags & WEFT_GATHER_ALL;
  err = wait_set(self, tasks, n, all ? UNTIL_ALL : UNTIL_ANY_ERROR, true);
  if (err == -ENOMEM)
    return err;

  int first = 0;
  uint64_t first_seq = UINT64_MAX;
  for (size_t i = 0; i < n; i++) {
    weft_task *t = tasks[i];
    bool done = is_done(t);
    if (results)
      results[i] = done && t->code == 0 ? t->result : NULL;
    if (statuses)
      statuses[i] = done ? t->code : -EINPROGRESS;
    if (done && t->code != 0 && t->finish_seq < first_seq) {
      first = t->code;
      first_seq = t->finish_seq;
    }
  }
  if (err)
    return err;
  return all ? 0 : first;
}

int weft_wait(weft_task *const *tasks, size_t n, weft_wait_mode when,
              bool *done) {
  weft_task *self = weft__self();
  int err = check_args(tasks, n, self);
  if (err)
    return err;
  mode m;
  switch (when) {
  case WEFT_FIRST_COMPLETED:
    m = UNTIL_FIRST;
    break;
  case WEFT_FIRST_EXCEPTION:
    m = UNTIL_EXCEPTION;
    break;
  case WEFT_ALL_COMPLETED:
    m = UNTIL_ALL;
    break;
  default:
    return -EINVAL;
  }
  if (n == 0)
    return -EINVAL; /* asyncio.wait: "Set of Futures is empty." */
  err = wait_set(self, tasks, n, m, false);
  if (err)
    return err;
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    bool d = is_done(tasks[i]);
    if (done)
      done[i] = d;
    count += d;
  }
  return count;
}

int weft_wait_any(weft_task *const *tasks, size_t n, size_t *index) {
  bool local[16] = {false};
  bool *done = n <= 16 ? local : weft__alloc(n * sizeof *done);
  if (!done)
    return -ENOMEM;
  int rc = weft_wait(tasks, n, WEFT_FIRST_COMPLETED, done);
  if (rc > 0) {
    uint64_t best = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
      if (done[i] && tasks[i]->finish_seq < best) {
        best = tasks[i]->finish_seq;
        if (index)
          *index = i;
      }
    rc = 0;
  }
  if (done != local)
    weft__free(done, n * sizeof *done);
  return rc;
}
