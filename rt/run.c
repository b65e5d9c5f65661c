/*
 * rt/run.c: running tasks: switching into and out of them, starting and
 * finishing them, and the direct switch from one task to the next.
 *
 * The protocol of a switch out of task T (intent: yield, park, exit, eager):
 *  1. T picks where to go: the next task of the current batch, directly
 *     (pick_next); or, when the batch is used up, T runs the batch boundary
 *     itself (poll, inject, timers: weft__worker_boundary) and takes the
 *     first task of the new batch, which may be T again after a yield (then
 *     no switch happens at all). It switches to the worker's own loop only
 *     when the loop is needed: nothing is ready (the worker must sleep),
 *     shutdown is under way, an eager spawn is in progress, or the runtime
 *     does not keep asyncio's order.
 *  2. The context T switched to finishes T's switch, on its own stack,
 *     before it runs anything else (finish_prev, or the loop's
 *     weft__run_task): park clears RUNNING or requeues T at once if a wake
 *     set NOTIFIED meanwhile; exit gives T's stack back. This must not
 *     happen on T's stack: once RUNNING is clear another worker may resume
 *     T (DESIGN 4.2), and a stack given back may be reused at once.
 *  3. A yield in asyncio order queues T before it picks (one worker: no one
 *     else can take T from the queue before its context is saved), so T
 *     lands behind what was queued before it and ahead of what the boundary
 *     brings, as in asyncio. An exit completes T (DONE, awaiters woken)
 *     before it picks, so an awaiter woken by T can be the next task. It
 *     does not switch: it returns from its entry with where to go, and its
 *     first frame goes there (exit_task; rt/ctx.h says why). Nothing of T
 *     is saved: T's object may be freed by then.
 *  4. Batches are counted in the worker (w->batch_left), whoever takes a
 *     task from them, so the order is the loop's order: asyncio's with one
 *     worker. Direct switches only save the trip through the loop's context.
 *  5. With several workers, the next task comes from rt/multi.c's local
 *     queues (weft__multi_next), the same choice its loop makes short of
 *     searching and parking, which stay in the loop; a yield is queued by
 *     the next context (step 2), never before its registers are saved, as a
 *     thief could otherwise resume it half-saved. The exception is a yield
 *     kept on the worker's private list (every worker busy: rt/multi.c),
 *     which no thief sees, so it is queued before the switch, as in step 3.
 */
#include <errno.h>
#include <stdio.h>

#include "rt/common.h"
#include "rt/current.h"
#include "rt/debug.h"
#include "rt/fiber.h"
#include "rt/worker.h"

/* ---- TSan fibers ------------------------------------------------------ */

#if defined(WEFT_TSAN)
/* TSan makes a fiber's shadow state by clearing most of a megabyte of fresh
 * memory: 7-15 ms each on a loaded VM whose page faults are slow, enough to
 * reorder timers armed by tasks started one after the other. So each worker
 * makes a few before it runs anything and keeps the fibers of exited tasks
 * for the next tasks it starts. Reuse hides no race: the switches from the
 * old task to the worker's loop and on to the new one already order the old
 * accesses before the new, as they would on one thread. The fibers are
 * destroyed with the runtime: TSan counts them as threads, and a process
 * that forks with threads alive may not start threads in the child. */
enum { FIBERS_WARM = 16 };

static void *fiber_get(weft__worker *w) {
  return w->fibers_cached ? w->fiber_cache[--w->fibers_cached]
                          : __tsan_create_fiber(0);
}

static void fiber_put(weft__worker *w, void *f) {
  if (w->fibers_cached < (int)(sizeof w->fiber_cache / sizeof(void *)))
    w->fiber_cache[w->fibers_cached++] = f;
  else
    __tsan_destroy_fiber(f);
}

void weft__fiber_cache_warm(weft__worker *w) {
  while (w->fibers_cached < FIBERS_WARM)
    w->fiber_cache[w->fibers_cached++] = __tsan_create_fiber(0);
}

void weft__fiber_cache_flush(weft__worker *w) {
  while (w->fibers_cached)
    __tsan_destroy_fiber(w->fiber_cache[--w->fibers_cached]);
}
#endif

/* ---- finishing -------------------------------------------------------- */

/* Step 3 of the forward (rt/task.c, "cancel"), for the joiner j: cleared
 * before our CAS to DONE, whose full barrier comes between this store and
 * the joiner's read of fwd_busy (which it makes after it sees DONE). */
static inline void joiner_forward_clear(weft_task *j) {
  weft__store_relaxed(&j->fwd_fn, (bool (*)(void *))NULL);
}

/* The awaiter in t's await slot (AWAITED seen), made ready for the wake
 * after DONE (rt/task.c, "finish"): *ref tells whether a reference was
 * taken on it. Before DONE the joiner cannot leave its await. */
static weft_task *take_joiner(weft__worker *w, weft_task *t, bool *ref) {
  weft_task *j;
  /* Acquire: pairs with the release store in join_claim (rt/task.c); it
   * follows that CAS by a few instructions, so this spins only if the
   * awaiter's thread was stopped just between the two. */
  if (WEFT_UNLIKELY(!(j = weft__load_acquire(&t->joiner)))) {
    weft__backoff b = {0, 0};
    do /* that thread may be off its CPU */
      weft__backoff_step(&b);
    while (!(j = weft__load_acquire(&t->joiner)));
  }
  /* From DONE on, j may leave its await and finish on another worker: the
   * reference keeps it for the wake. Not needed when j can run only on
   * this thread, busy here (as wake_first_unlock in rt/waitq.c). */
  *ref = !(j->rt == w->rt && w->rt->asyncio_order);
  if (*ref)
    weft__task_ref(j);
  joiner_forward_clear(j);
  return j;
}

/* DONE, awaiters woken, the "alive" reference dropped: t may be freed. */
static void complete_task(weft__worker *w, weft_task *t) {
  weft__registry_remove(w->rt, t);
  /* Finishing order, for "first" in gather and wait: exact within a worker,
   * and close enough across workers, with no shared counter. */
  t->finish_seq = (++w->finished << 8) | (uint64_t)(w->index & 0xff);
  weft_task *j = NULL;
  bool jref = false, fold;
  bool hook = t->on_done != NULL; /* runs after the wakes: needs t */
  /* One worker: the slot is a plain field of this thread's (rt/task.c,
   * "await"), and j runs only here: no reference. */
  if (w->rt->asyncio_order && (j = t->joiner))
    joiner_forward_clear(j);
  /* Acquire: a word with AWAITED makes the joiner's forward visible. */
  uint32_t s = weft__load_acquire(&t->state);
  for (;;) {
    if ((s & WEFT__T_AWAITED) && !j)
      j = take_joiner(w, t, &jref);
    /* With no waiter queued and no hook, nothing here touches t after
     * DONE: the "alive" reference goes with this CAS (rt/task.h). Else it
     * is kept until the end. The count is carried over either way. */
    fold = !hook && !(s & WEFT__T_WAITQ);
    uint32_t next = WEFT__T_DONE |
                    ((s & ~(uint32_t)WEFT__T_FLAGS) - (fold ? WEFT__T_REF : 0));
    /* Full barrier: publishes result and code before DONE; pairs with the
     * acquire loads of DONE in await, gather and weft_task_state_of, with
     * the CASes that set AWAITED and WAITQ (one of the two sides sees the
     * other), and, when it drops the reference, with the other holders'
     * decrements as weft__task_unref's does. */
    if (ck_pr_cas_32_value(&t->state, s, next, &s))
      break;
  }
  /* Folded, t is not ours from DONE on (a holder may free it at once),
   * unless ours was the last reference. */
  if (fold && s / WEFT__T_REF == 1)
    weft__task_free(t);
  if (j) { /* first: it came first (rt/task.c, "await") */
    weft__task_wake_on(w, j);
    if (jref)
      weft__task_unref(j);
  }
  if (fold)
    return;
  if (s & WEFT__T_WAITQ)
    weft__waitq_wake_all_on(&t->awaiters, t->code, w);
  if (t->on_done) /* still ours: the "alive" reference is held */
    t->on_done(t->on_done_ctx, t->code);
  weft__task_unref(t);
}

/* A task that never ran (cancelled first, or no stack could be had). */
static void finish_unstarted(weft__worker *w, weft_task *t, int code) {
  t->code = code;
  complete_task(w, t);
}

WEFT_NORETURN __attribute__((noinline, cold)) static void
stack_smashed(weft_task *t) {
  char what[160];
  weft__task_describe(t, what, sizeof what);
  WEFT_PANIC("stack overflow in %s: the canary at the bottom of its %zu-byte "
             "stack was overwritten",
             what, t->stack.size);
}

/* Inline: it runs at every switch and is two tests (stack_smashed, cold
 * and out of line, no longer gives it a 160-byte frame). */
static inline __attribute__((always_inline)) void
check_switched_out(weft__worker *w, const weft_task *t) {
  if (WEFT_UNLIKELY(!weft__stack_canary_ok(&w->rt->stacks, &t->stack)))
    stack_smashed((weft_task *)t);
  if (WEFT_UNLIKELY(w->debug))
    weft__debug_slice_end(w, t);
}

/* Step 3 for an exit, on t's own stack: complete t and keep what must be
 * released once we are off its stack. */
static void exit_early(weft__worker *w, weft_task *t) {
  check_switched_out(w, t);
  if (WEFT_UNLIKELY(w->debug))
    weft__debug_stack_check(t);
  w->dead_stack = t->stack;
#if defined(WEFT_TSAN)
  w->dead_fiber = t->tsan_fiber;
#endif
  complete_task(w, t);
}

/* Step 2: runs on the stack of whoever runs next. t is NULL for an exit. */
static void finish_switch_out(weft__worker *w, weft_task *t, int intent) {
  uint32_t s;
  switch (intent) {
  case WEFT__I_YIELD: /* not queued yet (no asyncio order) */
    check_switched_out(w, t);
    weft__worker_requeue(w, t);
    break;
  case WEFT__I_YIELDED: /* queued before it switched (steps 3 and 5) */
    check_switched_out(w, t);
    break;
  case WEFT__I_PARK:
    check_switched_out(w, t);
    s = weft__load_relaxed(&t->state);
    for (;;) {
      /* Parked: RUNNING and SCHEDULED cleared. Woken meanwhile (NOTIFIED):
       * queued again, SCHEDULED|RUNNING (rt/task.c, "spawn"). */
      uint32_t next = s & ~(uint32_t)(WEFT__T_RUNNING | WEFT__T_NOTIFIED |
                                      WEFT__T_SCHEDULED);
      if (s & WEFT__T_NOTIFIED)
        next |= WEFT__T_SCHEDULED | WEFT__T_RUNNING;
      /* Full barrier: pairs with the CAS in weft__task_wake. */
      if (ck_pr_cas_32_value(&t->state, s, next, &s))
        break;
    }
    if (s & WEFT__T_NOTIFIED)
      weft__worker_requeue(w, t);
    break;
  case WEFT__I_EXIT:
    weft__stack_put(&w->stacks, &w->rt->stacks, &w->dead_stack);
#if defined(WEFT_TSAN)
    fiber_put(w, w->dead_fiber);
#endif
    break;
  default:
    WEFT_PANIC("bad switch intent %d", intent);
  }
}

/* Step 2 for a direct switch: the resumed task finishes its predecessor.
 * A yield's finish, the common case, is inline (the call into
 * finish_switch_out was a sixth of a multi-worker yield's instructions). */
static inline void finish_prev(weft__worker *w) {
  int intent = w->prev_intent;
  if (intent) {
    weft_task *prev = w->prev;
    w->prev = NULL;
    w->prev_intent = 0;
    if (WEFT_LIKELY(intent == WEFT__I_YIELD)) {
      check_switched_out(w, prev);
      weft__worker_requeue(w, prev);
    } else if (WEFT_LIKELY(intent == WEFT__I_YIELDED)) {
      check_switched_out(w, prev); /* queued before it switched */
    } else {
      finish_switch_out(w, prev, intent);
    }
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
  /* Hands the task this worker (task_entry, weft__switch_out_from). */
  weft__ctx_switch(&w->sched, &t->ctx, w);
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

/* Claims a popped task: every queued task is RUNNING already (spawned,
 * woken or yielded: rt/task.c, "spawn"), so this is a load. A NOTIFIED set
 * while it was queued is dropped by a CAS, only then: this run is the one
 * that wake asked for (full barrier: pairs with the waker's CAS, so the
 * task sees what the waker stored before it). Returns the state seen. */
static uint32_t claim(weft_task *t) {
  uint32_t s = weft__load_relaxed(&t->state);
  WEFT_DEBUG_ASSERT(s & WEFT__T_RUNNING);
  while (WEFT_UNLIKELY(s & WEFT__T_NOTIFIED) &&
         !ck_pr_cas_32_value(&t->state, s, s & ~(uint32_t)WEFT__T_NOTIFIED, &s))
    ;
  return s;
}

static weft__ctx_exit task_entry(void *arg, void *pass);

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
  t->tsan_fiber = fiber_get(w);
#endif
  if (WEFT_UNLIKELY(w->debug))
    weft__debug_stack_fill(t);
  weft__ctx_make(&t->ctx, t->stack.lo, t->stack.size, task_entry, t);
  t->started = true;
  WEFT__STAT_ADD(w, tasks_started, 1);
  return 0;
}

/* prepare for a task that has not started: its first run. */
static bool prepare_start(weft__worker *w, weft_task *t, uint32_t s) {
  if (s & WEFT__T_CANCEL) { /* cancelled before it ran: never enters fn */
    finish_unstarted(w, t, -ECANCELED);
    return false;
  }
  int err = start_task(w, t);
  if (err) {
    finish_unstarted(w, t, err);
    return false;
  }
  return true;
}

/* Makes t ready to be switched to: RUNNING and started. Returns false if it
 * finished instead (cancelled before it ran, or no stack). Either side.
 * Inline: a task that is resumed needs only the claim. */
static inline bool prepare(weft__worker *w, weft_task *t) {
  uint32_t s = claim(t);
  if (WEFT_LIKELY(t->started))
    return true;
  return prepare_start(w, t, s);
}

/* Step 1: the next task to switch to directly, or NULL for the loop. */
static inline __attribute__((always_inline)) weft_task *
pick_next(weft__worker *w) {
#if defined(WEFT_TEST_ORDER)
  (void)w;
  return NULL; /* the perturbed orders live in the loop */
#else
  if (!w->rt->asyncio_order) { /* several workers: rt/multi.c decides */
    for (weft_task *n; (n = weft__multi_next_fast(w));)
      if (prepare(w, n))
        return n;
    return NULL;
  }
  for (;;) {
    if (w->batch_left == 0 && !weft__worker_boundary(w))
      return NULL;
    weft_task *n = weft__runq_pop(&w->runq);
    w->batch_left--;
    if (WEFT_UNLIKELY(n->hops)) { /* asyncio order: one more trip round */
      n->hops--;
      weft__runq_push(&w->runq, n);
      continue;
    }
    if (prepare(w, n))
      return n;
  }
#endif
}

void weft__switch_out(int intent) {
  weft__switch_out_from(weft__worker_current(), intent);
}

/* A yield that found nothing else to run: t goes on without a switch, but
 * debug mode sees one slice end and the next begin. */
static void yield_goes_on(weft__worker *w, weft_task *t) {
  if (WEFT_UNLIKELY(w->debug)) {
    weft__debug_slice_end(w, t);
    weft__debug_slice_begin(w);
  }
}

/* Where a switch out of t goes once step 1 has picked: to next directly,
 * or to the worker's loop if next is NULL. t is NULL for an exit: its
 * object may be freed, and (ASan) its fake stack is released. */
static inline __attribute__((always_inline)) weft__ctx *
switch_target(weft__worker *w, weft_task *t, weft_task *next, int intent) {
  if (next) {
    w->prev = t;
    w->prev_intent = intent;
    weft__store_relaxed(&w->current, next); /* atomic: the dump reads it */
    WEFT__STAT_ADD(w, tasks_run, 1);
    if (WEFT_UNLIKELY(w->debug))
      weft__debug_slice_begin(w);
#if defined(WEFT_ASAN)
    __sanitizer_start_switch_fiber(t ? &t->asan_fake_stack : NULL,
                                   next->stack.lo, next->stack.size);
#endif
#if defined(WEFT_TSAN)
    __tsan_switch_to_fiber(next->tsan_fiber, 0);
#endif
    return &next->ctx;
  }
  w->intent = intent;
  if (!t)
    weft__store_relaxed(&w->current, (weft_task *)NULL);
#if defined(WEFT_ASAN)
  __sanitizer_start_switch_fiber(t ? &t->asan_fake_stack : NULL,
                                 w->sched_stack_lo, w->sched_stack_size);
#endif
#if defined(WEFT_TSAN)
  __tsan_switch_to_fiber(w->tsan_fiber, 0);
#endif
  return &w->sched;
}

void weft__switch_out_from(weft__worker *w, int intent) {
  WEFT_DEBUG_ASSERT(intent != WEFT__I_EXIT); /* exit_task's */
  weft_task *t = w->current;
  if (intent == WEFT__I_YIELD && w->rt->asyncio_order) {
    weft__runq_push(&w->runq, t); /* step 3 */
    intent = WEFT__I_YIELDED;
  } else if (intent == WEFT__I_YIELD && w->keep_yields && t->home < 0) {
    /* Step 5's exception: the worker's private list of kept yields, which
     * no other thread reads, so t may be queued before its registers are
     * saved, as in step 3 (rt/multi.c, "yields"). */
    weft__runq_push(&w->yielded, t);
    intent = WEFT__I_YIELDED;
  }
  weft_task *next = NULL;
  if (intent != WEFT__I_EAGER && !w->eager_depth)
    next = pick_next(w);
#if !defined(WEFT_TEST_ORDER)
  /* Several workers, and nothing else to run here: a yield goes on at once.
   * (Queued first, as one worker does, it would find itself gone from the
   * ring until the switch finished, and go through the loop: two switches
   * for nothing.) Asked only once pick_next found nothing, so a busy
   * worker's yield pays for one look at its queues, not two. Not inside an
   * eager spawn (pick_next was not asked): its spawner waits for it to
   * suspend. */
  if (!next && intent == WEFT__I_YIELD && !w->eager_depth &&
      weft__multi_yield_alone(w)) {
    yield_goes_on(w, t);
    return;
  }
#endif
  /* An asyncio-order yield, and t is first in the new batch. */
  if (next == t && intent == WEFT__I_YIELDED) {
    yield_goes_on(w, t);
    return;
  }
  /* The worker that resumes t, handed over by its switch (rt/ctx.h): w no
   * longer holds once t has switched out (DESIGN 4.3). */
  weft__worker *now =
      weft__ctx_switch(&t->ctx, switch_target(w, t, next, intent), w);
  /* Resumed, perhaps on another worker: now is the one running t. */
  arrived_in_task(t);
  finish_prev(now);
}

/* Step 1 for an exit, on the finished task's stack: completes it, picks
 * the next task, and returns where to go, for task_entry to return to
 * weft__ctx_start, which goes there: a switch from here would leave the
 * finished task's calls on the CPU's return stack buffer for the resumed
 * task's returns to mispredict (rt/ctx.h). The finished task is never
 * resumed, so nothing of it is saved. */
static weft__ctx_exit exit_task(weft__worker *w) {
  exit_early(w, w->current); /* its object may be freed from here on */
  /* Not pick_next's "t is first" case: that is for yields only, and the
   * freed object may already be another task's (tests/unit/foreign). */
  weft_task *next = w->eager_depth ? NULL : pick_next(w);
  weft__ctx *to = switch_target(w, NULL, next, WEFT__I_EXIT);
#if defined(WEFT_TSAN)
  /* TSan's fiber switch (switch_target) must come last: our returns to
   * weft__ctx_start would be recorded on the next fiber's shadow stack,
   * which they would underflow. So TSan builds switch from here. */
  weft__ctx_switch(&w->dead_ctx, to, w);
  WEFT_PANIC("a finished task was resumed");
#else
  return (weft__ctx_exit){to, w};
#endif
}

/* pass: the worker that started t, handed over by the switch. The result
 * goes straight into t (NULL from task_new): no local whose address is
 * taken, so no frame of ours is on ASan's fake stack when exit_task
 * releases it. */
static weft__ctx_exit task_entry(void *arg, void *pass) {
  weft_task *t = arg;
  arrived_in_task(t);
  finish_prev(pass);
  t->code = t->fn(t->arg, &t->result);
  return exit_task(weft__worker_current());
}

/* ---- the loop's side --------------------------------------------------- */

/* Recursive only through eager spawns: as deep as eager spawns nest. */
void weft__run_task( // NOLINT(misc-no-recursion)
    weft__worker *w, weft_task *t) {
  if (WEFT_UNLIKELY(t->hops)) { /* asyncio order: one more trip round */
    t->hops--;
    weft__runq_push(&w->runq, t);
    return;
  }
  if (!prepare(w, t))
    return;
  for (;;) {
    weft__store_relaxed(&w->current, t); /* atomic: the dump reads it */
    WEFT__STAT_ADD(w, tasks_run, 1);
    if (WEFT_UNLIKELY(w->debug))
      weft__debug_slice_begin(w);
    switch_to_task(w, t);
    /* The task that switched back may be another one, reached by direct
     * switches from t; NULL if it exited. */
    t = w->current;
    weft__store_relaxed(&w->current, (weft_task *)NULL);
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
