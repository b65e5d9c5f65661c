/*
 * rt/gather.c: asyncio.gather over task handles.
 *
 * The caller links one waiter into each unfinished task's awaiter queue,
 * each with a filter that counts completions in a shared state (atomics: the
 * tasks may finish on different workers) and wakes the caller only when the
 * gather is complete: every task finished, or (without WEFT_GATHER_ALL) one
 * failed. Waking only at completion is what asyncio does (the children's
 * done-callbacks count, the outer future completes once) and keeps the
 * caller's place in the ready queue the same as asyncio's.
 *
 * The first failure is the first in finishing order (task->finish_seq), as
 * asyncio's first done-callback to see an exception wins.
 *
 * asyncio order: asyncio resumes the caller two loop hops after the
 * completing child finished (the child's done-callback, then the outer
 * future's callback). The caller is woken at the first hop's place and
 * yields once for the second; if nothing was left to wait for, both hops are
 * still taken (asyncio still schedules the callbacks and suspends on the
 * outer future).
 */
#include <errno.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/task.h"
#include "rt/worker.h"

typedef struct gather_state {
  uint32_t remaining; /* unfinished tasks: atomic */
  uint32_t complete;  /* a failure ended the gather early: atomic */
  uint32_t all;       /* WEFT_GATHER_ALL, or cancelled: atomic */
} gather_state;

/* Runs in the finishing task's worker, under its awaiter queue's lock;
 * status is the finished task's code. */
static bool on_finish(weft__waiter *w, int status) {
  gather_state *g = w->ctx;
  if (ck_pr_faa_32(&g->remaining, (uint32_t)-1) == 1)
    return true; /* the last one always wakes */
  /* The first failure ends a gather without WEFT_GATHER_ALL. */
  return status != 0 && !weft__load_relaxed(&g->all) &&
         ck_pr_fas_32(&g->complete, 1) == 0;
}

static bool is_done(const weft_task *t) {
  return weft__load_acquire(&t->state) & WEFT__T_DONE;
}

/* Takes a loop hop without consuming a pending cancellation. */
static void hop(void) { weft__switch_out(WEFT__I_YIELD); }

int weft_gather(weft_task *const *tasks, size_t n, void **results,
                int *statuses, unsigned flags) {
  if ((n && !tasks) || (flags & ~(unsigned)WEFT_GATHER_ALL))
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  for (size_t i = 0; i < n; i++) {
    if (!tasks[i])
      return -EINVAL;
    if (tasks[i] == self)
      return -EDEADLK;
  }
  weft__waiter local[8];
  weft__waiter *ws = local;
  if (n > sizeof local / sizeof local[0]) {
    ws = weft__alloc(n * sizeof *ws);
    if (!ws)
      return -ENOMEM;
  }
  gather_state g = {.remaining = (uint32_t)n, .complete = 0,
                    .all = (flags & WEFT_GATHER_ALL) ? 1u : 0u};
  bool wait = false, linked_any = false;
  for (size_t i = 0; i < n; i++) {
    weft_task *t = tasks[i];
    ws[i].task = NULL; /* marks "not linked" */
    weft__waitq_lock(&t->awaiters);
    if (!is_done(t)) {
      weft__waitq_push_locked(&t->awaiters, &ws[i], self);
      ws[i].filter = on_finish;
      ws[i].ctx = &g;
      linked_any = true;
    } else {
      ck_pr_dec_32(&g.remaining);
      if (!g.all && t->code != 0)
        g.complete = 1;
    }
    weft__waitq_unlock(&t->awaiters);
  }
  bool cancelled = false;
  /* Acquire loads: pair with the filters' RMWs in finishing workers. */
  while (weft__load_acquire(&g.remaining) != 0 &&
         (cancelled || !weft__load_acquire(&g.complete))) {
    if (weft__cancel_take(self)) {
      /* asyncio: cancelling the gather cancels every unfinished task and
       * waits for them all; the gather then reports -ECANCELED. */
      cancelled = true;
      weft__store_relaxed(&g.all, 1u);
      for (size_t i = 0; i < n; i++)
        weft_cancel(tasks[i]);
      continue;
    }
    weft__park();
    wait = true;
  }
  for (size_t i = 0; linked_any && i < n; i++)
    if (ws[i].task)
      weft__waitq_remove(&tasks[i]->awaiters, &ws[i]);
  if (ws != local)
    weft__free(ws, n * sizeof *ws);
  if (n && self->rt->asyncio_order) {
    if (!wait)
      hop();
    hop();
  }

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
  if (cancelled)
    return -ECANCELED;
  return (flags & WEFT_GATHER_ALL) ? 0 : first;
}
