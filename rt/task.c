/*
 * rt/task.c: tasks and the operations on them: spawn, await, detach,
 * cancel, yield, sleep, gather, and the state word every wait goes through.
 *
 * The state word (bits in rt/task.h) is changed only by CAS:
 *  - spawn: SCHEDULED|RUNNING, then pushed on a run queue. A queued task is
 *    SCHEDULED|RUNNING (spawned, woken, or requeued by its park): from the
 *    push to its switch-in it is owned by the worker that will pop it, as a
 *    yielded task is, and the pop runs it after a plain load (rt/run.c,
 *    claim), with no CAS: the queue's own synchronisation (the owner's
 *    queue on its own thread, the ring's release push and acquire pop, the
 *    inject queue's mutex) orders the pusher's writes before the run.
 *    SCHEDULED stays set until the park clears it with RUNNING; nothing
 *    reads it while RUNNING is set (the task dump tells a queued task from
 *    a running one by the workers' current task: rt/dump.c).
 *  - wake (weft__task_wake, any thread): if DONE or NOTIFIED, nothing; if
 *    RUNNING (running, or queued), set NOTIFIED; else (parked) set
 *    SCHEDULED|RUNNING and push. Exactly one waker wins the transition from
 *    parked, so a task is in at most one queue. A NOTIFIED set while the
 *    task was queued is dropped by the pop that runs it (rt/run.c, claim: a
 *    CAS, only then), as that run is the one the wake asked for, so a
 *    second wake of a queued task costs no spurious run, as before the
 *    queued task was RUNNING. "Nothing" is decided only after a full fence:
 *    a waker stores what the task is to see (its waiter's status), then
 *    reads the state, and on x86 as elsewhere that load may complete
 *    before the store is visible. Without the fence, a task queued (or
 *    NOTIFIED) at the load could be claimed, read its status still pending
 *    and park, and the wake that found it queued would be lost
 *    (tests/unit/cancel_race hung about one run in four). With it, one of
 *    the two sides sees the other: the claim's CAS comes after our load, so
 *    the task reads our store.
 *  - a yield leaves the word alone: the task is queued while still
 *    RUNNING, so a wake meanwhile only sets NOTIFIED (costing at most one
 *    spurious wake-up at the next park) and no atomic is spent per yield.
 *  - after the task switched out to park, its worker clears RUNNING; if
 *    NOTIFIED was set meanwhile, it clears it and requeues the task instead.
 *    This runs on the worker's stack once the task's stack is no longer in
 *    use, which closes the suspend/wake race of DESIGN 4.2: a wake that
 *    arrives while the task is still on its way out is never lost and never
 *    resumes a stack that is still running.
 *  - cancel (any thread): set CANCEL unless DONE, then wake. The next
 *    suspension point (or the current one, woken) consumes CANCEL and
 *    returns -ECANCELED: delivered once. A task waiting on other tasks
 *    (await, gather) has a forward instead: cancelling it cancels what it
 *    waits on, as asyncio cancels the future a task waits on, and the
 *    waiter sees their outcome. The forward, in steps:
 *     1. The waiter publishes it without a lock (ctx, then fn with a
 *        release store; set only when none is set: set and clear come in
 *        pairs).
 *     2. A canceller that sees fn takes fwd_busy by CAS 0 -> 1 (a full
 *        barrier; if it is taken, another canceller is inside, or a cycle
 *        of awaits led back here: it returns, as that one forwards), then
 *        reads fn again. NULL: the forward was cleared meanwhile, go on as
 *        if there were none. Else it calls fn(ctx). If fn declines, it sets
 *        CANCEL before it drops fwd_busy (release), so that a waiter that
 *        waited for fwd_busy then finds CANCEL.
 *     3. The clear: fn = NULL, a full barrier, then wait while fwd_busy is
 *        held (the waiter does not leave while a canceller may use ctx). The
 *        barrier is the waiter's own exchange (forward_clear), or, for an
 *        awaiter in a task's await slot, the finishing task's CAS to DONE:
 *        it stores the joiner's fn = NULL before that CAS, and the joiner,
 *        once it sees DONE, waits for fwd_busy (no locked instruction on
 *        the awaiter's side). Store-load on both sides (2 and 3): either the
 *        canceller's second read sees NULL, or the clear sees fwd_busy.
 *    A canceller that finds no forward because the waiter was setting it
 *    just then sets CANCEL and wakes the waiter, which forwards the
 *    cancellation itself at its next look (as for a cancellation that was
 *    pending before its wait): none is lost.
 *  - await: the first awaiter of a task takes its slot: a CAS sets AWAITED
 *    (only while neither DONE, AWAITED nor WAITQ is set, so the slot is
 *    woken first without changing the order of wakes), then it stores
 *    itself in joiner and parks until DONE. With one worker (asyncio
 *    order) the task and every awaiter of its runtime run on one thread:
 *    the awaiter stores itself in joiner if it is empty, with no AWAITED
 *    and no CAS, and the finish reads it there (an awaiter from another
 *    runtime waits on the queue). Further awaiters, gather, wait and
 *    await_shielded link waiters on awaiters under its lock and set WAITQ
 *    (weft__task_awaiters_mark).
 *  - finish (rt/run.c, complete_task): if AWAITED (or, with one worker, if
 *    joiner is set), read joiner (spinning the few instructions an awaiter
 *    may still be between its CAS and its store), take a reference on it
 *    unless it can run only on this thread, clear its forward (step 3);
 *    then the CAS to DONE, which drops every other bit; then wake the
 *    joiner, then the awaiters queue if WAITQ was set: in the order they
 *    came, as asyncio's done-callbacks.
 *
 * References: the handle (dropped by weft_detach), the task being alive
 * (dropped when it finishes), each armed timer entry, and each waker in the
 * middle of a wake. The task is freed when the count reaches zero.
 */
#include "rt/task.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/common.h"
#include "rt/current.h"
#include "rt/debug.h"
#include "rt/worker.h"

int64_t weft_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

weft_task *weft__self(void) {
  weft__worker *w = weft__worker_current();
  return w ? w->current : NULL;
}

weft_task *weft_self(void) { return weft__self(); }

int weft_worker_index(void) {
  weft__worker *w = weft__worker_current();
  return w && w->current ? w->index : -1;
}

int weft_worker_count(void) {
  weft__worker *w = weft__worker_current();
  return w ? w->rt->nworkers : 0;
}

void weft__task_ref(weft_task *t) {
  /* Full barrier, as any RMW here; the count lives above the flags of the
   * state word (rt/task.h), so a CAS loop elsewhere only retries. */
  ck_pr_add_32(&t->state, WEFT__T_REF);
}

/* Task objects are pooled per worker (DESIGN 3: no allocator call on the
 * spawn path); sanitizer builds use the allocator so ASan sees every use
 * after free. */
#define TASK_POOL_MAX 256

/* w is the calling thread's worker (weft__worker_current), or NULL. */
static weft_task *task_alloc(weft__worker *w, weft__runtime *rt) {
#if !defined(WEFT_SANITIZER)
  if (w && w->rt == rt && w->task_pool) {
    weft_task *t = w->task_pool;
    w->task_pool = t->next;
    w->task_pool_len--;
    return t;
  }
#else
  (void)w;
  (void)rt;
#endif
  return weft__alloc_task(sizeof(weft_task));
}

void weft__task_free_name(weft_task *t) {
  weft__free(t->name, WEFT__NAME_MAX);
  t->name = NULL;
}

void weft__task_free(weft_task *t) {
  t->magic = WEFT__TASK_FREED;
  if (t->name) /* most tasks have none: no call */
    weft__task_free_name(t);
#if !defined(WEFT_SANITIZER)
  weft__worker *w = weft__worker_current();
  if (w && w->rt == t->rt && w->task_pool_len < TASK_POOL_MAX) {
    t->next = w->task_pool;
    w->task_pool = t;
    w->task_pool_len++;
    return;
  }
#endif
  weft__free_task(t, sizeof *t);
}

void weft__task_pool_drain(weft__worker *w) {
  while (w->task_pool) {
    weft_task *t = w->task_pool;
    w->task_pool = t->next;
    weft__free_task(t, sizeof *t);
  }
  w->task_pool_len = 0;
}

void weft__task_unref(weft_task *t) {
  /* The last reference frees: every other holder has let go, and DONE (or
   * never started) means no worker touches the task again.
   *
   * A count of 1 seen by a holder is its own reference alone, and then no
   * other thread can take one: a reference is taken only by a holder of one
   * (the task itself arming a timer or opening a group; a waker under the
   * lock of a queue the task waits in, or a task finishing while this one
   * sits in its await slot, both of which the task's "alive" reference
   * keeps), never from a bare pointer. So that count cannot rise any more,
   * and the last holder frees without a locked instruction (weft_detach
   * after the task finished, the common case). Acquire: pairs with the full
   * barrier of every other holder's decrement, so their last accesses come
   * before the free. */
  if (weft__load_acquire(&t->state) / WEFT__T_REF == 1 ||
      ck_pr_faa_32(&t->state, -(uint32_t)WEFT__T_REF) / WEFT__T_REF == 1)
    weft__task_free(t);
}

void weft__task_check_failed(const weft_task *t, const char *fn) {
  WEFT_PANIC("%s: the handle %p is not a live task (%s)", fn, (const void *)t,
             t->magic == WEFT__TASK_FREED ? "used after weft_detach released it"
                                          : "not a handle from weft_spawn");
}

/* The transition of a wake; true if t must now be queued (it was waiting:
 * now SCHEDULED), false if there is nothing more to do (already queued,
 * done, or running: NOTIFIED set for its worker). */
bool weft__task_claim_wake(weft_task *t) {
  uint32_t s = weft__load_relaxed(&t->state);
  bool fenced = false;
  for (;;) {
    if (s & WEFT__T_DONE)
      return false;
    if (s & WEFT__T_NOTIFIED) {
      if (fenced)
        return false;
      /* Nothing to do, unless the load was early: the top of the file,
       * "wake". Full fence (store-load): our caller's stores (a waiter's
       * status) come before the load below; pairs with the CAS that next
       * claims t to run it or finishes its park, after which t reads them. */
      ck_pr_fence_memory();
      fenced = true;
      s = weft__load_relaxed(&t->state);
      continue;
    }
    /* Running or queued: NOTIFIED; parked: queued (the top of the file). */
    uint32_t next =
        s | ((s & WEFT__T_RUNNING) ? WEFT__T_NOTIFIED
                                   : WEFT__T_SCHEDULED | WEFT__T_RUNNING);
    /* Full barrier: pairs with the worker's CAS after the task switched out
     * (run_task), so one of the two sees the other's bit. */
    if (ck_pr_cas_32_value(&t->state, s, next, &s))
      return !(s & WEFT__T_RUNNING);
  }
}

void weft__task_wake(weft_task *t) {
  if (weft__task_claim_wake(t))
    weft__sched_push_woken(t);
}

void weft__task_wake_on(weft__worker *w, weft_task *t) {
  if (weft__task_claim_wake(t))
    weft__sched_push_on(w, t, true);
}

void weft__park(void) {
  weft__switch_out_from(weft__worker_current(), WEFT__I_PARK);
}

bool weft__cancel_pending(const weft_task *t) {
  return (weft__load_relaxed(&t->state) & WEFT__T_CANCEL) &&
         !weft__load_relaxed(&t->shield); /* shielded: deferred (sync/) */
}

/* Clears the cancel bit, s being t's state as last seen; true if it was
 * set. */
static bool clear_cancel(weft_task *t, uint32_t s) {
  while (s & WEFT__T_CANCEL)
    if (ck_pr_cas_32_value(&t->state, s, s & ~WEFT__T_CANCEL, &s))
      return true;
  return false;
}

bool weft__cancel_take_slow(weft_task *t, uint32_t s) {
  if (weft__load_relaxed(&t->shield)) /* shielded: deferred (sync/) */
    return false;
  return clear_cancel(t, s);
}

void weft__task_describe(const weft_task *t, char *buf, size_t len) {
  if (t->name)
    snprintf(buf, len, "task '%s' (spawned at %s:%d)", t->name, t->file,
             t->line);
  else
    snprintf(buf, len, "task spawned at %s:%d", t->file, t->line);
}

/* ---- spawn ------------------------------------------------------------ */

/* weft__task_new for a caller that has looked up its worker: w is the
 * calling thread's (weft__worker_current), or NULL. The spawn path passes
 * it down so that the pool, the registry and the queue need no lookup of
 * their own. */
static inline __attribute__((always_inline)) int
task_new(weft__worker *w, weft__runtime *rt, weft_fn fn, void *arg,
         const weft_spawn_opts *opts, const char *file, int line,
         weft__done_fn on_done, void *ctx, weft_task **out) {
  size_t stack = rt->stack_size; /* a class size (rt/runtime.c) */
  if (opts && opts->pinned &&
      (opts->worker < 0 || opts->worker >= rt->nworkers || opts->eager))
    return -EINVAL;
  if (opts && opts->stack_size) {
    if (opts->stack_size < WEFT_STACK_MIN ||
        !weft__stack_class_size(opts->stack_size))
      return -EINVAL;
    /* Rounded here, once, so that starting the task need not. */
    stack = weft__stack_class_size(opts->stack_size);
  }
  if (weft__load_relaxed(&rt->shutdown))
    return -ESHUTDOWN;
  weft_task *t = task_alloc(w, rt);
  if (!t)
    return -ENOMEM;
  t->magic = WEFT__TASK_MAGIC;
  /* Queued and owned by its worker-to-be (the top of the file, "spawn"),
   * with two references: the handle and the task being alive. */
  t->state = WEFT__T_SCHEDULED | WEFT__T_RUNNING | 2 * WEFT__T_REF;
  t->next = NULL;
  t->rt = rt;
  t->fn = fn;
  t->arg = arg;
  t->result = NULL;
  t->code = 0;
  t->timer_gen = 0;
  t->hops = 0;
  t->started = false;
  t->home =
      (int16_t)(opts && opts->pinned && !rt->asyncio_order ? opts->worker : -1);
  weft__waitq_init(&t->awaiters);
  t->joiner = NULL;
  t->fwd_fn = NULL;
  t->fwd_ctx = NULL;
  t->fwd_busy = 0;
  t->stack_size = stack;
  t->file = file ? file : "?";
  t->line = line;
  t->name = NULL;
  t->wait_what = NULL;
  t->worker = -1;
  t->dbg = NULL;
  t->cancel_reqs = 0; /* sync/ scopes */
  t->shield = 0;
  t->scopes = NULL;
  /* Before the registry shows t: a walk for the hook's context
   * (weft__cancel_hooked) reads them under the shard lock. */
  t->on_done = on_done;
  t->on_done_ctx = ctx;
  if (opts && opts->name && (t->name = weft__alloc(WEFT__NAME_MAX)))
    snprintf(t->name, WEFT__NAME_MAX, "%s", opts->name);
  weft__registry_add(rt, w, t);
  *out = t;
  return 0;
}

int weft__task_new(weft__runtime *rt, weft_fn fn, void *arg,
                   const weft_spawn_opts *opts, const char *file, int line,
                   weft__done_fn on_done, void *ctx, weft_task **out) {
  return task_new(weft__worker_current(), rt, fn, arg, opts, file, line,
                  on_done, ctx, out);
}

static int spawn(weft_task **out, weft_fn fn, void *arg,
                 const weft_spawn_opts *opts, const char *file, int line,
                 weft__done_fn on_done, void *ctx) {
  if (!out || !fn)
    return -EINVAL;
  weft__worker *w = weft__worker_current();
  if (!w || !w->current)
    return -EPERM;
  int err = task_new(w, w->rt, fn, arg, opts, file, line, on_done, ctx, out);
  if (err)
    return err;
  if (WEFT_UNLIKELY(w->rt->cfg.debug))
    weft__debug_track_handle(*out);
  if ((opts && opts->eager) || w->rt->cfg.eager_tasks) {
    /* The worker runs it until its first suspension, then resumes us. */
    w->eager = *out;
    weft__switch_out_from(w, WEFT__I_EAGER);
    return 0;
  }
  weft__sched_push_on(w, *out, false);
  return 0;
}

int weft_spawn_at(weft_task **out, weft_fn fn, void *arg,
                  const weft_spawn_opts *opts, const char *file, int line) {
  return spawn(out, fn, arg, opts, file, line, NULL, NULL);
}

int weft__spawn_hooked(weft_task **out, weft_fn fn, void *arg,
                       const weft_spawn_opts *opts, const char *file, int line,
                       weft__done_fn on_done, void *ctx) {
  return spawn(out, fn, arg, opts, file, line, on_done, ctx);
}

/* ---- await, detach, cancel -------------------------------------------- */

static int outcome(const weft_task *t, void **result) {
  if (result)
    *result = t->code == 0 ? t->result : NULL;
  return t->code;
}

/* DONE, read with acquire: pairs with the CAS that set DONE after the task's
 * result and code were written. */
static bool is_done(const weft_task *t) {
  return weft__load_acquire(&t->state) & WEFT__T_DONE;
}

/* weft__cancel_forward_set and _clear, inline for weft_await. The set
 * takes no lock (the protocol at the top of the file, "cancel"). */
static inline void forward_set(weft_task *self, bool (*fn)(void *ctx),
                               void *ctx) {
  /* One forward at a time: a nested one would overwrite the outer. */
  WEFT_DEBUG_ASSERT(!weft__load_relaxed(&self->fwd_fn));
  weft__store_relaxed(&self->fwd_ctx, ctx);
  /* Release: publishes fwd_ctx with fn; pairs with the acquire load in
   * weft_cancel. */
  weft__store_release(&self->fwd_fn, fn);
}

/* Waits until no canceller is inside self's forward (step 3 of "cancel",
 * after the forward was cleared). Acquire: pairs with the canceller's
 * release of fwd_busy, so its uses of ctx (and a CANCEL it set) come
 * before our return. */
WEFT_NOINLINE static void forward_wait_out_slow(weft_task *self) {
  weft__backoff b = {0, 0};
  while (weft__load_acquire(&self->fwd_busy))
    weft__backoff_step(&b); /* the canceller's thread may be off its CPU */
}

static inline void forward_wait_out(weft_task *self) {
  if (WEFT_UNLIKELY(weft__load_acquire(&self->fwd_busy)))
    forward_wait_out_slow(self);
}

static inline void forward_clear(weft_task *self) {
  /* Step 3 of "cancel". An exchange, for its full barrier (an RMW, which
   * TSan models, rather than a store and a fence): the NULL is visible
   * before our read of fwd_busy; pairs with the canceller's CAS on
   * fwd_busy and its second read of fn. */
  (void)weft__exchange(&self->fwd_fn, (bool (*)(void *))NULL);
  forward_wait_out(self);
}

/* Takes t's await slot for self (the top of the file, "await"). False if
 * the slot is taken, a waiter is queued, or t is DONE: wait on the queue. */
static inline bool join_claim(weft_task *t, weft_task *self) {
  if (t->rt->asyncio_order) {
    /* One worker: t finishes on this thread, and the slot is taken only by
     * tasks of t's runtime, which run on this thread too: plain accesses,
     * no AWAITED, no CAS. A task of another runtime waits on the queue. */
    if (self->rt != t->rt || t->joiner ||
        (weft__load_relaxed(&t->state) & (WEFT__T_DONE | WEFT__T_WAITQ)))
      return false;
    t->joiner = self;
    return true;
  }
  uint32_t s = weft__load_relaxed(&t->state);
  do {
    if (s & (WEFT__T_DONE | WEFT__T_AWAITED | WEFT__T_WAITQ))
      return false;
    /* Full barrier: publishes our forward (set before) to the finish, which
     * reads AWAITED with acquire in the word this CAS writes; pairs with
     * the CAS to DONE, so exactly one of the two sees the other. */
  } while (!ck_pr_cas_32_value(&t->state, s, s | WEFT__T_AWAITED, &s));
  /* Release: the finish spins for it after seeing AWAITED (rt/run.c). */
  weft__store_release(&t->joiner, self);
  return true;
}

/* The forward of a task awaiting t: cancel t instead (asyncio cancels the
 * future a task waits on). Declines once t has finished, and the awaiter
 * itself is then cancelled. */
static bool forward_to_task(void *ctx) {
  weft_task *t = ctx;
  return weft_cancel(t) == 0;
}

/* weft_await in t's await slot: t's finish clears our forward, sets DONE
 * and wakes us. wk is the worker looked up at the await's entry, valid
 * until our first switch (DESIGN 4.3). Returns true if a cancellation was
 * kept (t finished too early to take it). */
static bool await_in_slot(weft_task *t, weft_task *self, weft__worker *wk) {
  bool kept = false;
  while (!is_done(t)) {
    /* A cancellation that was pending before the forward was set, or
     * that raced its publication, or a spurious wake: as on the queue. */
    if (weft__cancel_take(self)) {
      if (weft_cancel(t) == -EALREADY)
        kept = true;
      continue;
    }
    if (wk) {
      weft__switch_out_from(wk, WEFT__I_PARK);
      wk = NULL; /* after a switch, looked up again (weft__park) */
    } else {
      weft__park();
    }
  }
  forward_wait_out(self); /* step 3 of "cancel": the finish cleared it */
  return kept;
}

/* weft_await as a waiter on t's awaiters queue (the slot was taken, or t
 * has further awaiters). Returns as await_in_slot. */
static bool await_on_queue(weft_task *t, weft_task *self) {
  bool kept = false;
  while (!is_done(t)) {
    weft__waiter w;
    weft__waitq_lock(&t->awaiters);
    if (!weft__task_awaiters_mark(t)) { /* DONE */
      weft__waitq_unlock(&t->awaiters);
      break;
    }
    weft__waitq_push_locked(&t->awaiters, &w, self);
    /* A cancellation that was pending before the forward was set (or that
     * raced its publication): pass it on as asyncio does when a task with
     * a pending cancel suspends on a future, and go on waiting for t's
     * outcome. If t has finished meanwhile (another worker), it cannot take
     * it: the cancellation stays ours and this await delivers it, as
     * asyncio's task keeps _must_cancel when fut.cancel() returns False. */
    if (weft__waitq_wait(&t->awaiters, &w) == -ECANCELED &&
        weft_cancel(t) == -EALREADY)
      kept = true;
  }
  forward_clear(self);
  return kept;
}

int weft_await(weft_task *t, void **result) {
  if (!t)
    return -EINVAL;
  weft__worker *wk = weft__worker_current(); /* only until a switch */
  weft_task *self = wk ? wk->current : NULL;
  if (!self)
    return -EPERM;
  weft__task_check(t, "weft_await");
  if (t == self)
    return -EDEADLK;
  if (WEFT_UNLIKELY(t->dbg))
    weft__debug_awaited(t);
  if (is_done(t))
    return outcome(t, result); /* no suspension, as in asyncio */
  forward_set(self, forward_to_task, t);
  WEFT__WAIT_SET(self, "await", WEFT__WAIT_TASK, (uintptr_t)t);
  /* kept: a cancellation t finished too early to take. */
  bool kept = join_claim(t, self) ? await_in_slot(t, self, wk)
                                  : await_on_queue(t, self);
  WEFT__WAIT_CLEAR(self);
  /* A cancellation that arrived after t finished, before we resumed, is
   * delivered here: this await is still the current suspension point. The
   * outcome is not lost: the handle can be awaited again. Taken even when
   * one was kept: a request that found t finished (the forward declined)
   * is pending as well, and it is the same cancellation, delivered once. */
  bool took = weft__cancel_take(self);
  if (kept || took) {
    if (result)
      *result = NULL;
    return -ECANCELED;
  }
  return outcome(t, result);
}

void weft_detach(weft_task *t) {
  if (t) {
    weft__task_check(t, "weft_detach");
    if (WEFT_UNLIKELY(t->dbg))
      weft__debug_detached(t);
    weft__task_unref(t);
  }
}

void weft__cancel_forward_set(weft_task *self, bool (*fn)(void *ctx),
                              void *ctx) {
  forward_set(self, fn, ctx);
}

void weft__cancel_forward_clear(weft_task *self) { forward_clear(self); }

int weft_cancel(weft_task *t) {
  if (!t)
    return -EINVAL;
  weft__task_check(t, "weft_cancel");
  if (!(weft__load_acquire(&t->state) & WEFT__T_DONE))
    ck_pr_inc_32(&t->cancel_reqs); /* sync/ scopes: Task.cancelling() */
  /* The forward, step 2 (the top of the file, "cancel"). A first look
   * without the barrier: almost every task has none. */
  bool busy = false;
  /* A shielded task (sync/) keeps the request for later: no forward. */
  if (weft__load_relaxed(&t->fwd_fn) && !weft__load_relaxed(&t->shield)) {
    /* Full barrier: we are inside before the second read of fn; pairs with
     * the barrier of step 3 between the clear and its read of fwd_busy. */
    if (!ck_pr_cas_32(&t->fwd_busy, 0, 1))
      return 0; /* a cycle of awaits, or a concurrent cancel: it forwards */
    busy = true;
    /* Acquire: pairs with the release store in forward_set, so ctx is the
     * one set with fn. */
    bool (*fn)(void *) = weft__load_acquire(&t->fwd_fn);
    if (fn && fn(weft__load_relaxed(&t->fwd_ctx))) {
      /* Release: our uses of ctx come before the waiter's leaving. */
      weft__store_release(&t->fwd_busy, 0u);
      return 0;
    }
  }
  /* Set while fwd_busy is held, so that a waiter clearing the forward
   * meanwhile finds CANCEL after it waited; a forward being set meanwhile
   * finds it at the waiter's next look, after the wake below. */
  int rc = 0;
  bool set = false;
  uint32_t s = weft__load_relaxed(&t->state);
  for (;;) {
    if (s & WEFT__T_DONE) {
      rc = -EALREADY;
      break;
    }
    if (s & WEFT__T_CANCEL)
      break;
    if (ck_pr_cas_32_value(&t->state, s, s | WEFT__T_CANCEL, &s)) {
      set = true;
      break;
    }
  }
  if (busy) /* release: pairs with forward_wait_out's acquire */
    weft__store_release(&t->fwd_busy, 0u);
  if (set)
    weft__task_wake(t);
  return rc;
}

weft_task_state weft_task_state_of(const weft_task *t) {
  if (!t || !is_done(t))
    return WEFT_TASK_PENDING;
  if (t->code == 0)
    return WEFT_TASK_DONE;
  return t->code == -ECANCELED ? WEFT_TASK_CANCELLED : WEFT_TASK_FAILED;
}

const char *weft_task_name(const weft_task *t) {
  if (!t)
    return "";
  return t->name ? t->name : t->file;
}

/* ---- yield and sleep -------------------------------------------------- */

uint64_t weft__asyncio_batch(void) {
  weft__worker *w = weft__worker_current();
  return w && w->rt->asyncio_order ? w->batch_seq : 0;
}

void weft__asyncio_hop(void) {
  weft__worker *w = weft__worker_current();
  if (w && w->current && w->rt->asyncio_order)
    weft__switch_out_from(w, WEFT__I_YIELD);
}

int weft_yield(void) {
  weft__worker *w = weft__worker_current();
  weft_task *self = w ? w->current : NULL;
  if (!self)
    return -EPERM;
  if (weft__cancel_take(self))
    return -ECANCELED;
  weft__switch_out_from(w, WEFT__I_YIELD);
  return weft__cancel_take(self) ? -ECANCELED : 0;
}

/* Parks until the armed timer (generation gen) fires or a cancel wins it. */
static int sleep_wait(weft_task *self, weft__worker *w, uint32_t gen) {
  for (;;) {
    weft__park();
    /* The timer fired if it claimed the generation (CAS gen -> gen + 1). */
    if (weft__load_acquire(&self->timer_gen) != gen)
      return 0;
    if (weft__cancel_pending(self)) {
      /* Race the timer for the generation: pairs with its CAS. */
      if (ck_pr_cas_32(&self->timer_gen, gen, gen + 1)) {
        weft__timers_note_cancel(&w->timers);
        weft__cancel_take(self);
        return -ECANCELED;
      }
      return 0; /* it fired first; the cancellation stays pending */
    }
  }
}

int weft_sleep_ns(int64_t ns) {
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  if (ns < 0)
    return -EINVAL;
  if (ns == 0)
    return weft_yield();
  if (weft__cancel_take(self))
    return -ECANCELED;
  int64_t deadline = weft_now_ns() + ns;
  /* Arms the timer on the current worker with a fresh generation. */
  uint32_t gen = ck_pr_faa_32(&self->timer_gen, 1) + 1;
  weft__worker *w = weft__worker_current();
  int err = weft__timers_add(&w->timers, deadline, self, gen);
  if (err)
    return err;
  WEFT__WAIT_SET(self, "sleep", WEFT__WAIT_DEADLINE, deadline);
  err = sleep_wait(self, w, gen);
  WEFT__WAIT_CLEAR(self);
  return err;
}

int weft_sleep_ms(int64_t ms) {
  if (ms > INT64_MAX / 1000000)
    return -EINVAL;
  return weft_sleep_ns(ms * 1000000);
}

/* ---- cancel requests, for sync/ scopes (issue 6) ---------------------- */

uint32_t weft__cancelling(const weft_task *t) {
  return weft__load_acquire(&t->cancel_reqs);
}

uint32_t weft__uncancel(weft_task *t) {
  uint32_t n = weft__load_relaxed(&t->cancel_reqs);
  while (n > 0 && !ck_pr_cas_32_value(&t->cancel_reqs, n, n - 1, &n))
    ;
  return n > 0 ? n - 1 : 0;
}

bool weft__cancel_withdraw(weft_task *t) {
  return clear_cancel(t, weft__load_relaxed(&t->state));
}
