/*
 * rt/task.h: the task object and its state word, shared by the scheduler
 * (rt/worker.c) and the task operations (rt/task.c).
 */
#ifndef WEFT_RT_TASK_H
#define WEFT_RT_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "rt/atomic.h"
#include "rt/common.h" /* WEFT_ASAN, WEFT_TSAN: decide the layout */
#include "rt/ctx.h"
#include "rt/stack.h"
#include "rt/waitq.h"
#include "weft/rt.h"

struct weft__runtime;

/* A task's finish hook (weft__spawn_hooked). */
typedef void (*weft__done_fn)(void *ctx, int code);

/* Bits of the state word (any thread, changed only by CAS or fetch-or/and):
 *  SCHEDULED  the task is in a run queue (or being pushed into one), with
 *             RUNNING: owned by the worker that will pop it; both stay set
 *             while it runs, until it parks (rt/task.c, "spawn")
 *  RUNNING    a worker is running it: its stack is in use
 *  NOTIFIED   woken while RUNNING: the worker requeues it after switching out
 *  DONE       finished; result and code are final (every other bit cleared)
 *  CANCEL     a cancellation was requested and not yet delivered
 *  AWAITED    the await slot (joiner) is taken: set once, by the first
 *             awaiter, while no waiter is queued on awaiters (rt/task.c)
 *  WAITQ      awaiters may hold waiters: set under its lock by whoever links
 *             one, so that the finish takes the lock only then
 * and above the flags, in units of WEFT__T_REF, the reference count (the
 * handle, the task being alive, wakers in flight, armed timers: at most
 * 2^24 - 1), kept in the same word so that the finish drops the "alive"
 * reference with the CAS that sets DONE (rt/run.c, complete_task): changed
 * by fetch-add (weft__task_ref, weft__task_unref) or carried over by every
 * CAS, none of which may clear it. */
enum {
  WEFT__T_SCHEDULED = 1u << 0,
  WEFT__T_RUNNING = 1u << 1,
  WEFT__T_NOTIFIED = 1u << 2,
  WEFT__T_DONE = 1u << 3,
  WEFT__T_CANCEL = 1u << 4,
  WEFT__T_AWAITED = 1u << 5,
  WEFT__T_WAITQ = 1u << 6,
  WEFT__T_FLAGS = 0xffu, /* the bits above */
  WEFT__T_REF = 1u << 8, /* one reference */
};

#define WEFT__NAME_MAX 48

#define WEFT__TASK_MAGIC 0x7461736bu /* "task": a live handle */
#define WEFT__TASK_FREED 0x66726565u /* "free": after the last reference */

/* Fields are ordered to leave no padding: a burst of tasks held by their
 * handles costs this size each in fresh memory, and it is exactly jemalloc's
 * 256-byte class (sanitizer builds add theirs). */
struct weft_task {
  weft__ctx ctx;      /* saved registers while suspended; its worker only */
  uint32_t magic;     /* WEFT__TASK_MAGIC while the task object lives */
  uint32_t state;     /* the state word above (with the references): any
                         thread, atomic */
  uint32_t fwd_busy;  /* 1 while a canceller is inside fwd_fn: atomic,
                         taken by CAS (rt/task.c, "cancel") */
  uint32_t timer_gen; /* bumped by whoever claims the armed timer: atomic */
  weft_task *next;    /* link in the run queue or inject queue holding it */
  struct weft__runtime *rt;
  weft_fn fn;
  void *arg;
  void *result;         /* written by the task before DONE, read after it */
  int code;             /* likewise: the function's return value */
  uint32_t stack_size;  /* requested (a stack class, weft__stack_class_size) */
  uint64_t finish_seq;  /* order of finishing in the runtime (gather) */
  uint8_t hops;         /* asyncio order: extra trips through the ready queue
                           before it runs (worker only) */
  bool started;         /* entered its function (worker only) */
  uint8_t wait_kind;    /* WEFT__WAIT_*: see wait_what below */
  int16_t home;         /* pinned: the only worker it runs on; else -1 */
  int16_t worker;       /* the worker it last ran on, recorded while observation
                           hooks are on (rt/debug.h), else -1: atomic */
  weft__waitq awaiters; /* awaiters after the first (joiner): WAITQ */
  /* sync/ scopes (issue 6): the shield depth (set by the task, read by
   * cancellers: atomic; while non-zero no suspension delivers a cancellation
   * and weft_cancel forwards none; at most UINT16_MAX, weft_shield_enter). */
  uint16_t shield;
  uint16_t reg_shard; /* the registry shard holding it (rt/worker.c): at
                         most nworkers, which an int16_t worker index bounds */
  /* The cancel forward (rt/task.c), or NULL, and its argument: atomic,
   * set by the task, cleared by it or by the task it awaits in the slot. */
  bool (*fwd_fn)(void *ctx);
  void *fwd_ctx;
  weft__stack stack;              /* valid once started, until finished */
  weft_task *reg_prev, *reg_next; /* registry shard, under its lock */
  const char *file;               /* spawn site */
  int line;
  /* sync/ scopes (issue 6): cancel requests made on the task (bumped by
   * weft_cancel, lowered by weft__uncancel: atomic); the innermost open
   * timeout or shield scope (scopes below: the task only). */
  uint32_t cancel_reqs;
  char *name; /* a copy of the name given, or NULL (the spawn site) */
  /* What the task waits on, for the task dump (rt/dump.c): set by the task
   * itself before it parks (WEFT__WAIT_SET), read by the dump (atomic);
   * wait_kind above says how to print wait_arg. */
  const char *wait_what; /* a static string: "sleep", "await", "lock" */
  uint64_t wait_arg;
  struct weft__debug_handle *dbg; /* debug mode: its handle's record */
  /* The await slot: the first task to await this one, stored here instead
   * of on awaiters while AWAITED is set (written by that awaiter after its
   * CAS set AWAITED, read by the finish: atomic; rt/task.c, "await"). */
  weft_task *joiner;
  struct weft__scope *scopes;
  /* Called once when the task finishes (weft__spawn_hooked), or NULL. */
  weft__done_fn on_done;
  void *on_done_ctx;
#if defined(WEFT_ASAN)
  void *asan_fake_stack;
#endif
#if defined(WEFT_TSAN)
  void *tsan_fiber;
#endif
};

#if !defined(WEFT_CTX_UCONTEXT) && !defined(WEFT_ASAN) && !defined(WEFT_TSAN)
_Static_assert(sizeof(struct weft_task) <= 256,
               "a task fits jemalloc's 256-byte class");
#endif

/* How the task dump prints wait_arg after wait_what. */
enum {
  WEFT__WAIT_PLAIN = 0, /* nothing more */
  WEFT__WAIT_TASK,      /* a weft_task * it awaits: its name */
  WEFT__WAIT_DEADLINE,  /* a weft_now_ns() deadline: the time left */
  WEFT__WAIT_COUNT,     /* a number (of tasks, of bytes...) */
};

/* Records what the calling task t is about to wait on (what: a string that
 * lives forever), and clears it after the wait. One store each: wait sites
 * in rt/, sync/ and io/ call these around their park. */
#define WEFT__WAIT_SET(t, what, kind, arg)                                     \
  do {                                                                         \
    weft__store_relaxed(&(t)->wait_arg, (uint64_t)(arg));                      \
    weft__store_relaxed(&(t)->wait_kind, (uint8_t)(kind));                     \
    weft__store_relaxed(&(t)->wait_what, (const char *)(what));                \
  } while (0)
#define WEFT__WAIT_CLEAR(t)                                                    \
  weft__store_relaxed(&(t)->wait_what, (const char *)0)

/* Makes a task in state SCHEDULED|RUNNING (not yet queued) with refs for the
 * handle and for being alive, registered in rt, with the finish hook
 * on_done(ctx) (or NULL: see weft__spawn_hooked), set before the registry can
 * show it. Returns 0, -EINVAL, -ESHUTDOWN or -ENOMEM. Any thread. */
int weft__task_new(struct weft__runtime *rt, weft_fn fn, void *arg,
                   const weft_spawn_opts *opts, const char *file, int line,
                   weft__done_fn on_done, void *ctx, weft_task **out);

/* weft_spawn_at, with a hook: on_done(ctx, code) is called exactly once
 * when the task finishes, or is finished without running (cancelled first:
 * code -ECANCELED), on the thread that completes it, after the task is DONE
 * and its awaiters are woken, before its last reference can go. The hook
 * must not suspend. Returns weft_spawn_at's errors (then no hook runs). */
int weft__spawn_hooked(weft_task **out, weft_fn fn, void *arg,
                       const weft_spawn_opts *opts, const char *file, int line,
                       weft__done_fn on_done, void *ctx);

/* Cancels every live task spawned with hook context ctx (a walk of rt's
 * registry, in spawn order with one worker). Any thread. */
void weft__cancel_hooked(struct weft__runtime *rt, const void *ctx);

/* In asyncio order (one worker): the calling worker's batch number, which
 * grows by one at every batch boundary; 0 otherwise (and off a worker). */
uint64_t weft__asyncio_batch(void);

/* In asyncio order (one worker), takes a trip through the ready queue
 * without consuming a pending cancellation: one of the extra hops asyncio
 * takes through callbacks. Otherwise does nothing. May switch. */
void weft__asyncio_hop(void);

/* Aborts with a message naming the misuse (fn, e.g. "weft_await") if t is
 * not a live task: a handle used after weft_detach, or a stray pointer.
 * Catches the common case; memory reused by a new task cannot be told
 * apart (ASan builds catch that too). */
WEFT_NORETURN void weft__task_check_failed(const weft_task *t, const char *fn);
static inline void weft__task_check(const weft_task *t, const char *fn) {
  if (WEFT_UNLIKELY(t->magic != WEFT__TASK_MAGIC))
    weft__task_check_failed(t, fn);
}

void weft__task_ref(weft_task *t);
/* Frees the task's copy of its name (when the task object goes). */
void weft__task_free_name(weft_task *t);
/* Frees the worker's pool of task objects (at shutdown). */
struct weft__worker;
void weft__task_pool_drain(struct weft__worker *w);
void weft__task_unref(weft_task *t);
/* Frees t: for the holder of its last reference, which has dropped it
 * (rt/run.c, complete_task). */
void weft__task_free(weft_task *t);

/* Makes t runnable if it is waiting (or sets NOTIFIED if it is running).
 * Any thread. */
void weft__task_wake(weft_task *t);
/* The same, for a caller that has looked up its worker: w is the calling
 * thread's (weft__worker_current), or NULL off the workers. */
void weft__task_wake_on(struct weft__worker *w, weft_task *t);
/* The first half of weft__task_wake: the state change. True if the caller
 * must now queue t (it was waiting, and is now scheduled). */
bool weft__task_claim_wake(weft_task *t);

/* Suspends the calling task until someone wakes it. Spurious returns are
 * allowed: callers loop on their condition. May switch. */
void weft__park(void);

/* If a cancellation is pending for t, consumes it and returns true. Inline:
 * every suspension point asks, and almost always the answer is a load. */
bool weft__cancel_take_slow(weft_task *t, uint32_t s);
static inline bool weft__cancel_take(weft_task *t) {
  /* Relaxed: only a hint; the CAS in the slow path decides. */
  uint32_t s = weft__load_relaxed(&t->state);
  return WEFT_UNLIKELY(s & WEFT__T_CANCEL) && weft__cancel_take_slow(t, s);
}
bool weft__cancel_pending(const weft_task *t);

/* While self waits on other tasks: weft_cancel(self) calls fn(ctx) instead
 * of cancelling self; if fn returns false (nothing left to cancel), self is
 * cancelled as usual. Clear waits for cancellers still inside fn. Set and
 * clear come in pairs (no set while a forward is set). A cancel made while
 * the forward is being set may instead cancel self, who must then forward
 * it by itself: a waiter checks for a pending cancellation after setting
 * its forward and at every wake-up. */
void weft__cancel_forward_set(weft_task *self, bool (*fn)(void *ctx),
                              void *ctx);
void weft__cancel_forward_clear(weft_task *self);

/* Before linking a waiter on t->awaiters, under its lock: sets WAITQ, so
 * that t's finish wakes the queue. Returns false, and sets nothing, if t is
 * DONE: link nothing then. (Under the lock, so a finish that comes later
 * finds the waiter: it sets DONE before it takes the lock.) */
static inline bool weft__task_awaiters_mark(weft_task *t) {
  /* Acquire: a DONE seen here makes t's result visible to the caller. */
  uint32_t s = weft__load_acquire(&t->state);
  for (;;) {
    if (s & WEFT__T_DONE)
      return false;
    if (s & WEFT__T_WAITQ)
      return true;
    /* Full barrier: pairs with the finish's CAS to DONE (rt/run.c,
     * complete_task), which reads WAITQ in the word it replaces. */
    if (ck_pr_cas_32_value(&t->state, s, s | WEFT__T_WAITQ, &s))
      return true;
  }
}

/* sync/ scopes (issue 6), asyncio's Task.cancelling() and uncancel():
 * the number of cancel requests made on t that no scope has withdrawn;
 * weft__uncancel lowers it by one and returns the new count. Any thread.
 * weft__cancel_withdraw clears an undelivered cancellation of t and returns
 * true if there was one. */
uint32_t weft__cancelling(const weft_task *t);
uint32_t weft__uncancel(weft_task *t);
bool weft__cancel_withdraw(weft_task *t);

/* The calling task, or NULL (outside tasks). */
weft_task *weft__self(void);

/* Writes "name (spawned at file:line)" for reports. Async-signal-safe. */
void weft__task_describe(const weft_task *t, char *buf, size_t len);

#endif /* WEFT_RT_TASK_H */
