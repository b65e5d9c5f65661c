/*
 * rt/task.c: tasks and the operations on them: spawn, await, detach,
 * cancel, yield, sleep, gather, and the state word every wait goes through.
 *
 * The state word (bits in rt/task.h) is changed only by CAS:
 *  - spawn: SCHEDULED, then pushed on a run queue.
 *  - a worker pops it: SCHEDULED -> RUNNING (rt/worker.c, run_task).
 *  - wake (weft__task_wake, any thread): if DONE, SCHEDULED or NOTIFIED,
 *    nothing; if RUNNING, set NOTIFIED; else set SCHEDULED and push. Exactly
 *    one waker wins the transition to SCHEDULED, so a task is in at most one
 *    queue. "Nothing" is decided only after a full fence: a waker stores
 *    what the task is to see (its waiter's status), then reads the state,
 *    and on x86 as elsewhere that load may complete before the store is
 *    visible. Without the fence, a task queued (or NOTIFIED) at the load
 *    could be claimed, read its status still pending and park, and the
 *    wake that found it queued would be lost (tests/unit/cancel_race hung
 *    about one run in four). With it, one of the two sides sees the other:
 *    the claim's CAS comes after our load, so the task reads our store.
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
 *    waiter sees their outcome. The waiter publishes the forward without a
 *    lock (ctx, then fn with a release store; set only when none is set:
 *    set and clear come in pairs) and clears it under the task's fwd_lock;
 *    a canceller reads it under fwd_lock, and one inside the forward holds
 *    fwd_busy: the waiter does not leave (its ctx lives on its stack) until
 *    it drops. A canceller that finds no forward because the waiter was
 *    setting it just then sets CANCEL and wakes the waiter, which forwards
 *    the cancellation itself at its next look (as for a cancellation that
 *    was pending before its wait): none is lost.
 *  - finish: DONE, awaiters woken, CANCEL dropped.
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

void weft__task_ref(weft_task *t) { ck_pr_inc_32(&t->refs); }

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
  return weft__alloc(sizeof(weft_task));
}

void weft__task_free_name(weft_task *t) {
  weft__free(t->name, WEFT__NAME_MAX);
  t->name = NULL;
}

static void task_free(weft_task *t) {
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
  weft__free(t, sizeof *t);
}

void weft__task_pool_drain(weft__worker *w) {
  while (w->task_pool) {
    weft_task *t = w->task_pool;
    w->task_pool = t->next;
    weft__free(t, sizeof *t);
  }
  w->task_pool_len = 0;
}

void weft__task_unref(weft_task *t) {
  /* The last reference frees: every other holder has let go, and DONE (or
   * never started) means no worker touches the task again. */
  if (ck_pr_faa_32(&t->refs, (uint32_t)-1) == 1)
    task_free(t);
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
    if (s & (WEFT__T_SCHEDULED | WEFT__T_NOTIFIED)) {
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
    uint32_t next =
        s | ((s & WEFT__T_RUNNING) ? WEFT__T_NOTIFIED : WEFT__T_SCHEDULED);
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
  t->state = WEFT__T_SCHEDULED;
  t->refs = 2; /* the handle and the task being alive */
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
  t->fwd_lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
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

static inline void forward_clear(weft_task *self) {
  weft__spin_lock(&self->fwd_lock);
  weft__store_relaxed(&self->fwd_fn, (bool (*)(void *))NULL);
  /* A canceller may be inside fn with our ctx: wait until it is out. */
  while (self->fwd_busy) {
    weft__spin_unlock(&self->fwd_lock);
    ck_pr_stall();
    weft__spin_lock(&self->fwd_lock);
  }
  weft__spin_unlock(&self->fwd_lock);
}

/* The forward of a task awaiting t: cancel t instead (asyncio cancels the
 * future a task waits on). Declines once t has finished, and the awaiter
 * itself is then cancelled. */
static bool forward_to_task(void *ctx) {
  weft_task *t = ctx;
  return weft_cancel(t) == 0;
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
  bool kept = false; /* a cancellation t finished too early to take */
  while (!is_done(t)) {
    weft__waiter w;
    weft__waitq_lock(&t->awaiters);
    if (is_done(t)) {
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
  WEFT__WAIT_CLEAR(self);
  forward_clear(self);
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
  weft__spin_lock(&t->fwd_lock);
  /* Acquire: pairs with the release store in forward_set, so ctx is the
   * one set with fn. */
  bool (*fn)(void *) = weft__load_acquire(&t->fwd_fn);
  /* A shielded task (sync/) keeps the request for later: no forward. */
  if (fn && !weft__load_relaxed(&t->shield)) {
    if (t->fwd_busy) { /* a cycle of awaits, or a concurrent cancel */
      weft__spin_unlock(&t->fwd_lock);
      return 0;
    }
    void *ctx = weft__load_relaxed(&t->fwd_ctx);
    t->fwd_busy++;
    weft__spin_unlock(&t->fwd_lock);
    bool forwarded = fn(ctx);
    weft__spin_lock(&t->fwd_lock);
    t->fwd_busy--;
    if (forwarded) {
      weft__spin_unlock(&t->fwd_lock);
      return 0;
    }
  }
  /* Set under fwd_lock, so that a forward being cleared meanwhile waits
   * for it; a forward being set meanwhile finds it at the waiter's next
   * look, after the wake below. */
  uint32_t s = weft__load_relaxed(&t->state);
  do {
    if (s & WEFT__T_DONE) {
      weft__spin_unlock(&t->fwd_lock);
      return -EALREADY;
    }
    if (s & WEFT__T_CANCEL) {
      weft__spin_unlock(&t->fwd_lock);
      return 0;
    }
  } while (!ck_pr_cas_32_value(&t->state, s, s | WEFT__T_CANCEL, &s));
  weft__spin_unlock(&t->fwd_lock);
  weft__task_wake(t);
  return 0;
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
