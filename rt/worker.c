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
 * Running a task: SCHEDULED -> RUNNING, switch to its context, and when it
 * switches back act on its intent on this (the worker's) stack: requeue it
 * (yield), finish parking it (park: clear RUNNING, or requeue at once if a
 * wake set NOTIFIED meanwhile), or finish it (exit). An eager spawn (intent
 * eager) runs the new task at once, nested, and then resumes the spawner
 * without a trip through the queue. See rt/task.c for the state word.
 */
#include "rt/worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/common.h"
#include "rt/current.h"
#include "rt/fiber.h"
#include "rt/order_test.h"

/* ---- switching --------------------------------------------------------- */

/* Scheduler side: resume t, return when it switches back. */
static void switch_to_task(weft__worker *w, weft_task *t) {
#if defined(WEFT_ASAN)
  __sanitizer_start_switch_fiber(&w->asan_fake_stack, t->stack.lo,
                                 t->stack.size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(t->tsan_fiber, 0);
#endif
  weft__ctx_switch(&w->sched, &t->ctx);
#if defined(WEFT_ASAN)
  __sanitizer_finish_switch_fiber(w->asan_fake_stack, NULL, NULL);
#endif
}

/* Task side, after a switch into the task: tell ASan where we came from. */
static void arrived_in_task(weft__worker *w, weft_task *t) {
#if defined(WEFT_ASAN)
  __sanitizer_finish_switch_fiber(t->asan_fake_stack, &w->sched_stack_lo,
                                  &w->sched_stack_size);
#else
  (void)w;
  (void)t;
#endif
}

void weft__switch_out(int intent) {
  weft__worker *w = weft__worker_current();
  weft_task *t = w->current;
  w->intent = intent;
#if defined(WEFT_ASAN)
  /* A finishing task's fake stack is released: NULL save slot. */
  __sanitizer_start_switch_fiber(
      intent == WEFT__I_EXIT ? NULL : &t->asan_fake_stack, w->sched_stack_lo,
      w->sched_stack_size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(w->tsan_fiber, 0);
#endif
  weft__ctx_switch(&t->ctx, &w->sched);
  /* Resumed, perhaps by another worker: look it up again (DESIGN 4.3). */
  arrived_in_task(weft__worker_current(), t);
}

static void task_entry(void *arg) {
  weft_task *t = arg;
  arrived_in_task(weft__worker_current(), t);
  void *result = NULL;
  int code = t->fn(t->arg, &result);
  t->result = result;
  t->code = code;
  weft__switch_out(WEFT__I_EXIT);
  WEFT_PANIC("a finished task was resumed");
}

/* ---- queues ------------------------------------------------------------ */

void weft__sched_push(weft_task *t) {
  weft__worker *w = weft__worker_current();
  weft__runtime *rt = t->rt;
  if (WEFT_LIKELY(w && w->rt == rt)) {
    if (!weft__order_push(w, t))
      weft__runq_push(&w->runq, t);
    return;
  }
  weft__inject_push(&rt->inject, t);
  weft__driver_wake(rt->workers[0].driver);
}

/* ---- the registry ------------------------------------------------------ */

/* Kept in spawn order, so shutdown cancels the oldest first. */
void weft__registry_add(weft__runtime *rt, weft_task *t) {
  weft__spin_lock(&rt->tasks_lock);
  t->reg_next = NULL;
  t->reg_prev = rt->tasks_tail;
  if (rt->tasks_tail)
    rt->tasks_tail->reg_next = t;
  else
    rt->tasks = t;
  rt->tasks_tail = t;
  weft__store_relaxed(&rt->ntasks, rt->ntasks + 1);
  weft__spin_unlock(&rt->tasks_lock);
}

void weft__registry_remove(weft__runtime *rt, weft_task *t) {
  weft__spin_lock(&rt->tasks_lock);
  if (t->reg_prev)
    t->reg_prev->reg_next = t->reg_next;
  else
    rt->tasks = t->reg_next;
  if (t->reg_next)
    t->reg_next->reg_prev = t->reg_prev;
  else
    rt->tasks_tail = t->reg_prev;
  weft__store_relaxed(&rt->ntasks, rt->ntasks - 1);
  weft__spin_unlock(&rt->tasks_lock);
}

/* ---- running and finishing --------------------------------------------- */

static uint64_t finish_counter;

static void finish_task(weft__worker *w, weft_task *t) {
  if (t->started) {
    weft__stack_put(&w->stacks, &w->rt->stacks, &t->stack);
#if defined(WEFT_TSAN)
    __tsan_destroy_fiber(t->tsan_fiber);
#endif
  }
  weft__registry_remove(w->rt, t);
  t->finish_seq = ck_pr_faa_64(&finish_counter, 1);
  uint32_t s = weft__load_relaxed(&t->state);
  /* Full barrier: publishes result and code before DONE; pairs with the
   * acquire loads of DONE in await, gather and weft_task_state_of. */
  while (!ck_pr_cas_32_value(&t->state, s, WEFT__T_DONE, &s))
    ;
  weft__waitq_wake_all(&t->awaiters, t->code);
  weft__task_unref(t); /* the "alive" reference */
}

static int start_task(weft__worker *w, weft_task *t) {
  int err = weft__stack_get(&w->stacks, &w->rt->stacks, t->stack_size, t,
                            &t->stack);
  if (err)
    return err;
#if defined(WEFT_ASAN)
  /* A recycled stack may still carry the poison of its last task's frames. */
  ASAN_UNPOISON_MEMORY_REGION(t->stack.lo, t->stack.size);
  t->asan_fake_stack = NULL;
#endif
#if defined(WEFT_TSAN)
  t->tsan_fiber = __tsan_create_fiber(0);
#endif
  weft__ctx_make(&t->ctx, t->stack.lo, t->stack.size, task_entry, t);
  t->started = true;
  return 0;
}

WEFT_NORETURN static void stack_smashed(weft_task *t) {
  char what[160];
  weft__task_describe(t, what, sizeof what);
  WEFT_PANIC("stack overflow in %s: the canary at the bottom of its %zu-byte "
             "stack was overwritten",
             what, t->stack.size);
}

static void run_task(weft__worker *w, weft_task *t) {
  if (WEFT_UNLIKELY(t->hops)) { /* asyncio order: one more trip round */
    t->hops--;
    weft__runq_push(&w->runq, t);
    return;
  }
  uint32_t s = weft__load_relaxed(&t->state);
  while (!ck_pr_cas_32_value(&t->state, s,
                             (s & ~(uint32_t)WEFT__T_SCHEDULED) |
                                 WEFT__T_RUNNING,
                             &s))
    ;
  if (WEFT_UNLIKELY(!t->started)) {
    if (s & WEFT__T_CANCEL) { /* cancelled before it ran: never enters fn */
      t->code = -ECANCELED;
      finish_task(w, t);
      return;
    }
    int err = start_task(w, t);
    if (err) {
      t->code = err;
      finish_task(w, t);
      return;
    }
  }
  for (;;) {
    w->current = t;
    w->stats.tasks_run++;
    switch_to_task(w, t);
    w->current = NULL;
    if (WEFT_UNLIKELY(!weft__stack_canary_ok(&w->rt->stacks, &t->stack)))
      stack_smashed(t);
    if (WEFT_LIKELY(w->intent != WEFT__I_EAGER))
      break;
    /* An eager spawn: run the new task until it first suspends (or ends),
     * then resume the spawner, which stayed RUNNING meanwhile. */
    weft_task *child = w->eager;
    w->eager = NULL;
    run_task(w, child);
  }

  switch (w->intent) {
  case WEFT__I_YIELD:
    s = weft__load_relaxed(&t->state);
    while (!ck_pr_cas_32_value(
        &t->state, s,
        (s & ~(uint32_t)(WEFT__T_RUNNING | WEFT__T_NOTIFIED)) |
            WEFT__T_SCHEDULED,
        &s))
      ;
    weft__runq_push(&w->runq, t);
    break;
  case WEFT__I_PARK:
    s = weft__load_relaxed(&t->state);
    for (;;) {
      uint32_t next = s & ~(uint32_t)(WEFT__T_RUNNING | WEFT__T_NOTIFIED);
      if (s & WEFT__T_NOTIFIED)
        next |= WEFT__T_SCHEDULED;
      /* Full barrier: pairs with the CAS in weft__task_wake. */
      if (ck_pr_cas_32_value(&t->state, s, next, &s))
        break;
    }
    if (s & WEFT__T_NOTIFIED)
      weft__runq_push(&w->runq, t);
    break;
  case WEFT__I_EXIT:
    finish_task(w, t);
    break;
  default:
    WEFT_PANIC("bad switch intent %d", w->intent);
  }
}

static void fire_timer(weft_task *t, void *ctx) {
  weft__worker *w = ctx;
  /* asyncio: a timer runs a callback that completes a future, whose own
   * callback then wakes the task: one hop more than a direct wake. */
  if (w->rt->asyncio_order)
    t->hops = 1;
  w->stats.timers_fired++;
  weft__task_wake(t);
}

/* ---- shutdown ---------------------------------------------------------- */

static void cancel_all(weft__runtime *rt) {
  weft__spin_lock(&rt->tasks_lock);
  /* weft_cancel on a worker thread only pushes to this worker's queue. */
  for (weft_task *t = rt->tasks; t; t = t->reg_next)
    weft_cancel(t);
  weft__spin_unlock(&rt->tasks_lock);
}

static void report_stragglers(weft__runtime *rt) {
  weft__spin_lock(&rt->tasks_lock);
  for (weft_task *t = rt->tasks; t; t = t->reg_next) {
    char what[160];
    weft__task_describe(t, what, sizeof what);
    fprintf(stderr,
            "weft: shutdown: %s ignored cancellation for %.3g s and was "
            "abandoned\n",
            what, rt->cfg.shutdown_grace);
  }
  weft__spin_unlock(&rt->tasks_lock);
}

/* Step 5 of the tick, after each batch. Returns true when the loop should
 * stop. As asyncio.run, the loop stops one batch after the main task
 * finished (its done-callback is queued behind what was ready then), so
 * tasks ready at that moment take one more step before they are cancelled. */
static bool shutdown_step(weft__worker *w) {
  weft__runtime *rt = w->rt;
  if (!weft__load_relaxed(&rt->shutdown)) {
    if (!(weft__load_acquire(&rt->main->state) & WEFT__T_DONE))
      return false;
    if (!rt->main_seen) {
      rt->main_seen = true;
      return false;
    }
    weft__store_relaxed(&rt->shutdown, 1u);
    rt->grace_deadline =
        weft_now_ns() + (int64_t)(rt->cfg.shutdown_grace * 1e9);
    cancel_all(rt);
  }
  if (weft__load_relaxed(&rt->ntasks) == 0)
    return true;
  if (weft_now_ns() >= rt->grace_deadline) {
    report_stragglers(rt);
    return true;
  }
  return false;
}

/* ---- the loop ---------------------------------------------------------- */

void weft__worker_loop(weft__worker *w) {
  weft__runtime *rt = w->rt;
  weft__worker_set_current(w);
  weft__order_init(w);
#if defined(WEFT_TSAN)
  w->tsan_fiber = __tsan_get_current_fiber();
#endif
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
      weft__driver_poll(w->driver, timeout);
      w->stats.polls++;
    } else if (weft__driver_sources(w->driver) > 0) {
      weft__driver_poll(w->driver, 0);
      w->stats.polls++;
    }
    /* 2. */
    w->stats.inject_pops += weft__inject_drain(&rt->inject, &w->runq);
    /* 3. */
    if (w->timers.len)
      weft__timers_run(&w->timers, weft_now_ns(), fire_timer, w);
    /* 4. */
    weft__order_batch(w, w->runq.len);
    for (weft_task *t; (t = weft__order_take(w));)
      run_task(w, t);
    for (size_t n = w->runq.len; n > 0; n--) {
      run_task(w, weft__runq_pop(&w->runq));
      for (weft_task *t; (t = weft__order_take(w));)
        run_task(w, t);
    }
    /* 5. */
    if (shutdown_step(w))
      break;
  }
  weft__worker_set_current(NULL);
}
