/*
 * rt/run.c: running tasks: switching into and out of them, starting and
 * finishing them, and the direct switch from one task to the next.
 *
 * The protocol of a switch out of task T (intent: yield, park, exit, eager):
 *  1. T records its intent in its worker and switches away: to the next
 *     task of the current batch directly (yield and park, when that task is
 *     already started and owes no asyncio hop, and no eager spawn is in
 *     progress), or else to the worker's own loop (rt/worker.c).
 *  2. Whoever runs next on that worker, on its own stack, finishes T's
 *     switch (finish_switch_out): yield requeues T at the back; park clears
 *     RUNNING, or requeues T at once if a wake set NOTIFIED meanwhile; exit
 *     finishes T. This must not happen on T's stack: once T is requeued or
 *     its RUNNING bit is clear, another worker may resume it (DESIGN 4.2).
 *     A direct switch leaves T in w->prev for the task it switched to, which
 *     finishes it as the first thing it does when it resumes.
 *  3. A direct switch takes the next task out of the batch exactly as the
 *     loop would (w->batch_left counts what is left of the batch), so the
 *     order is the loop's order, asyncio's with one worker; it only saves
 *     the second switch through the loop's context.
 */
#include <errno.h>
#include <stdio.h>

#include "rt/common.h"
#include "rt/current.h"
#include "rt/debug.h"
#include "rt/fiber.h"
#include "rt/worker.h"

/* ---- finishing -------------------------------------------------------- */

static void finish_task(weft__worker *w, weft_task *t) {
  if (t->started) {
    if (WEFT_UNLIKELY(w->debug))
      weft__debug_stack_check(t);
    weft__stack_put(&w->stacks, &w->rt->stacks, &t->stack);
#if defined(WEFT_TSAN)
    __tsan_destroy_fiber(t->tsan_fiber);
#endif
  }
  weft__registry_remove(w->rt, t);
  /* Finishing order, for "first" in gather and wait: exact within a worker,
   * and close enough across workers, with no shared counter. */
  t->finish_seq = (++w->finished << 8) | (uint64_t)(w->index & 0xff);
  uint32_t s = weft__load_relaxed(&t->state);
  /* Full barrier: publishes result and code before DONE; pairs with the
   * acquire loads of DONE in await, gather and weft_task_state_of. */
  while (!ck_pr_cas_32_value(&t->state, s, WEFT__T_DONE, &s))
    ;
  weft__waitq_wake_all(&t->awaiters, t->code);
  weft__task_unref(t); /* the "alive" reference */
}

WEFT_NORETURN static void stack_smashed(weft_task *t) {
  char what[160];
  weft__task_describe(t, what, sizeof what);
  WEFT_PANIC("stack overflow in %s: the canary at the bottom of its %zu-byte "
             "stack was overwritten",
             what, t->stack.size);
}

/* Step 2: runs on the stack of whoever runs next. */
static void finish_switch_out(weft__worker *w, weft_task *t, int intent) {
  if (WEFT_UNLIKELY(!weft__stack_canary_ok(&w->rt->stacks, &t->stack)))
    stack_smashed(t);
  if (WEFT_UNLIKELY(w->debug))
    weft__debug_slice_end(w, t);
  uint32_t s;
  switch (intent) {
  case WEFT__I_YIELD:
    /* No atomic here: the task stays RUNNING while it waits in the queue,
     * so wakers only set NOTIFIED (it is queued already) and none pushes
     * it a second time. The cost is at most one spurious wake-up later. */
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
    WEFT_PANIC("bad switch intent %d", intent);
  }
}

/* Step 2 for a direct switch: the resumed task finishes its predecessor. */
static void finish_prev(weft__worker *w) {
  weft_task *prev = w->prev;
  if (prev) {
    w->prev = NULL;
    finish_switch_out(w, prev, w->prev_intent);
  }
}

/* ---- switching --------------------------------------------------------- */

/* Loop side: resume t, return when a task of this worker switches back. */
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

/* Task side, after any switch into t (from the loop or another task). */
static void arrived_in_task(weft_task *t) {
#if defined(WEFT_ASAN)
  __sanitizer_finish_switch_fiber(t->asan_fake_stack, NULL, NULL);
#else
  (void)t;
#endif
}

/* Makes t RUNNING: a task that yielded kept RUNNING; any other queued task
 * goes SCHEDULED -> RUNNING (full barrier: pairs with wakers' CAS). Returns
 * the state seen. */
static uint32_t claim(weft_task *t) {
  uint32_t s = weft__load_relaxed(&t->state);
  while (!(s & WEFT__T_RUNNING) &&
         !ck_pr_cas_32_value(
             &t->state, s, (s & ~(uint32_t)WEFT__T_SCHEDULED) | WEFT__T_RUNNING,
             &s))
    ;
  return s;
}

/* Step 1, direct: the next task of the batch, if it can be switched to from
 * a task; NULL otherwise. */
static weft_task *direct_next(weft__worker *w, int intent) {
  if (intent > WEFT__I_PARK || w->batch_left == 0 || w->eager_depth)
    return NULL;
  weft_task *n = w->runq.head;
  if (!n || !n->started || n->hops)
    return NULL;
  weft__runq_pop(&w->runq);
  w->batch_left--;
  claim(n);
  return n;
}

void weft__switch_out(int intent) {
  weft__worker *w = weft__worker_current();
  weft_task *t = w->current;
  weft_task *next = direct_next(w, intent);
  if (next) {
    w->prev = t;
    w->prev_intent = intent;
    w->current = next;
    w->stats.tasks_run++;
    if (WEFT_UNLIKELY(w->debug))
      weft__debug_slice_begin(w);
#if defined(WEFT_ASAN)
    __sanitizer_start_switch_fiber(&t->asan_fake_stack, next->stack.lo,
                                   next->stack.size);
#endif
#if defined(WEFT_TSAN)
    __tsan_switch_to_fiber(next->tsan_fiber, 0);
#endif
    weft__ctx_switch(&t->ctx, &next->ctx);
  } else {
    w->intent = intent;
#if defined(WEFT_ASAN)
    /* A finishing task's fake stack is released: NULL save slot. */
    __sanitizer_start_switch_fiber(intent == WEFT__I_EXIT ? NULL
                                                          : &t->asan_fake_stack,
                                   w->sched_stack_lo, w->sched_stack_size);
#endif
#if defined(WEFT_TSAN)
    __tsan_switch_to_fiber(w->tsan_fiber, 0);
#endif
    weft__ctx_switch(&t->ctx, &w->sched);
  }
  /* Resumed, perhaps on another worker: look it up again (DESIGN 4.3). */
  arrived_in_task(t);
  finish_prev(weft__worker_current());
}

static void task_entry(void *arg) {
  weft_task *t = arg;
  arrived_in_task(t);
  finish_prev(weft__worker_current());
  void *result = NULL;
  int code = t->fn(t->arg, &result);
  t->result = result;
  t->code = code;
  weft__switch_out(WEFT__I_EXIT);
  WEFT_PANIC("a finished task was resumed");
}

/* ---- the loop's side --------------------------------------------------- */

static int start_task(weft__worker *w, weft_task *t) {
  int err =
      weft__stack_get(&w->stacks, &w->rt->stacks, t->stack_size, t, &t->stack);
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
  if (WEFT_UNLIKELY(w->debug))
    weft__debug_stack_fill(t);
  weft__ctx_make(&t->ctx, t->stack.lo, t->stack.size, task_entry, t);
  t->started = true;
  return 0;
}

/* Recursive only through eager spawns: as deep as eager spawns nest. */
void weft__run_task( // NOLINT(misc-no-recursion)
    weft__worker *w, weft_task *t) {
  if (WEFT_UNLIKELY(t->hops)) { /* asyncio order: one more trip round */
    t->hops--;
    weft__runq_push(&w->runq, t);
    return;
  }
  uint32_t s = claim(t);
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
    if (WEFT_UNLIKELY(w->debug))
      weft__debug_slice_begin(w);
    switch_to_task(w, t);
    /* The task that switched back may be another one of the batch, reached
     * by direct switches from t. */
    t = w->current;
    w->current = NULL;
    if (WEFT_LIKELY(w->intent != WEFT__I_EAGER))
      break;
    /* An eager spawn: run the new task until it first suspends (or ends),
     * then resume the spawner, which stayed RUNNING meanwhile. */
    weft_task *child = w->eager;
    w->eager = NULL;
    w->eager_depth++;
    weft__run_task(w, child);
    w->eager_depth--;
  }
  finish_switch_out(w, t, w->intent);
}
