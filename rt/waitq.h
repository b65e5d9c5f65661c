/*
 * rt/waitq.h: the one wait queue. Every way a task waits for another part of
 * weft (await, gather, and every sync/ primitive) registers a waiter here and
 * parks through weft__park(); nothing has its own way of parking a task.
 *
 * The suspend/wake protocol (DESIGN 4.2), in steps:
 *  1. The waiting task locks the queue, checks its condition, and if it must
 *     wait, links a waiter (on its own stack) with status WEFT__PENDING and
 *     unlocks.
 *  2. It parks (weft__park). The park is finished by the worker after the
 *     switch out, on the worker's own stack; a wake that arrives between 1
 *     and that moment finds the task RUNNING and only sets NOTIFIED, which
 *     the worker turns into a requeue once the task's stack is no longer in
 *     use (rt/task.c, "the state word"). So no wake is lost and no stack is
 *     resumed twice.
 *  3. A waker locks the queue, unlinks the first waiter, takes a reference on
 *     its task, publishes the status (release), unlocks, wakes the task and
 *     drops the reference. After the status store the waiter's memory may be
 *     gone (its task may have returned), so the waker reads w->task first.
 *  4. Woken (possibly spuriously), the task reads its status (acquire). If it
 *     is still pending and a cancellation is waiting, it locks the queue: if
 *     the waiter is still linked it unlinks it and returns -ECANCELED
 *     (consuming the cancellation); if not, a waker got there first and the
 *     status is final: it returns the status and the cancellation stays
 *     pending for the next suspension point. A primitive that hands something
 *     over (a lock, an item) therefore never loses it to a cancellation.
 */
#ifndef WEFT_RT_WAITQ_H
#define WEFT_RT_WAITQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/atomic.h"

#include "weft/rt.h"

#define WEFT__PENDING 0x7fffffff /* a waiter's status before it is woken */

/* A link in a wait queue's circular list (the queue's head is one too, so
 * a queue costs 16 bytes, not a whole waiter). */
typedef struct weft__wlink {
  struct weft__wlink *prev, *next; /* under the queue's lock */
} weft__wlink;

typedef struct weft__waiter {
  weft__wlink link; /* first: a waiter is found from its link */
  weft_task *task;  /* set before linking; read by wakers */
  int status;       /* WEFT__PENDING, then the woken status: atomic */
  void *value; /* a value handed over with the wake, written before status */
  /* Optional, set under the lock after push: called by the waker under the
   * lock when it takes this waiter; the task is woken only if it returns
   * true (gather wakes its task only when the gather is complete). */
  bool (*filter)(struct weft__waiter *w, int status);
  void *ctx; /* for the filter */
} weft__waiter;
_Static_assert(offsetof(weft__waiter, link) == 0,
               "a waiter starts with its link");

typedef struct weft__waitq {
  weft__spinlock lock;
  weft__wlink head; /* sentinel of a circular list of waiters' links */
} weft__waitq;

/* Inline: every task's awaiter queue is made at its spawn. */
static inline void weft__waitq_init(weft__waitq *q) {
  q->lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
  q->head.prev = q->head.next = &q->head;
}
/* Inline: every await takes the lock once and links one waiter. */
static inline void weft__waitq_lock(weft__waitq *q) {
  weft__spin_lock(&q->lock);
}
static inline void weft__waitq_unlock(weft__waitq *q) {
  weft__spin_unlock(&q->lock);
}
/* Inline: a release or a wake with nobody waiting should cost a compare. */
static inline bool weft__waitq_empty_locked(const weft__waitq *q) {
  return q->head.next == &q->head;
}

/* Step 1: links w for the calling task t at the back. Under the lock. */
static inline void weft__waitq_push_locked(weft__waitq *q, weft__waiter *w,
                                           weft_task *t) {
  w->task = t;
  w->value = NULL;
  w->filter = NULL;
  weft__store_relaxed(&w->status, WEFT__PENDING);
  w->link.prev = q->head.prev;
  w->link.next = &q->head;
  q->head.prev->next = &w->link;
  q->head.prev = &w->link;
}

/* Steps 2 and 4: called with q locked after push; unlocks q. Returns the
 * status the waker gave, or -ECANCELED if the task was cancelled first.
 * May switch. */
int weft__waitq_wait(weft__waitq *q, weft__waiter *w);

/* Removes w if it is still linked (under the lock, taken here). Returns true
 * if it was still linked, false if a waker had already taken it. */
bool weft__waitq_remove(weft__waitq *q, weft__waiter *w);

/* Step 3: wakes the first waiter with status and value. Returns false if the
 * queue was empty. Any thread. */
bool weft__waitq_wake_one(weft__waitq *q, int status, void *value);
/* Wakes every waiter, in the order they came. Any thread. */
void weft__waitq_wake_all(weft__waitq *q, int status);
/* The same, for a caller that has looked up its worker: w is the calling
 * thread's (weft__worker_current), or NULL off the workers. With w, waking
 * a task that can run only on w (asyncio order) costs no reference. */
struct weft__worker;
void weft__waitq_wake_all_on(weft__waitq *q, int status,
                             struct weft__worker *w);

/* Steps 1, 2 and 4 for the calling task, with a deadline (rt/iowait.c):
 * locks q; if ready(ctx) holds, returns 0 without waiting; else links a
 * waiter and parks until a waker gives it a status (returned), the deadline
 * (absolute, weft_now_ns; -1 for none) passes (-ETIMEDOUT), or the task is
 * cancelled (-ECANCELED, the cancellation consumed). A pending cancellation
 * is delivered before anything else. The deadline is a timer on the
 * current worker's heap with sleep's generation protocol (rt/timer.h).
 * Returns -EPERM outside a task. May switch. */
int weft__waitq_block(weft__waitq *q, bool (*ready)(void *ctx), void *ctx,
                      int64_t deadline);

/* ---- lists guarded by their owner's lock (sync/) ----------------------
 * A sync/ primitive keeps its state and one or more waiter lists under one
 * spinlock of its own, lk: the list's embedded lock is then unused, and
 * steps 1 to 4 run with lk in its place. Wakes are made under lk (the woken
 * task is made runnable while lk is held), and a waiter that sees its final
 * status takes lk once before it returns, so a waker has left the
 * primitive's memory before the woken task can free it. */

/* Steps 2 and 4 under lk: called with lk held after push_locked; unlocks
 * lk. Returns the status given by the waker, or -ECANCELED if the task was
 * cancelled first (unlinked under lk, the cancellation consumed). */
int weft__waitq_wait_lk(weft__waitq *q, weft__waiter *w, weft__spinlock *lk);

/* Step 3 under lk (held by the caller): wakes the first waiter of q with
 * status and value. Returns its task (alive while lk is held, since the
 * waiter takes lk before it returns; do not dereference after unlocking
 * lk), or NULL if q is empty. */
weft_task *weft__waitq_wake_one_locked(weft__waitq *q, int status, void *value);
/* Wakes every waiter of q, in order, under lk. Returns how many. */
size_t weft__waitq_wake_all_locked(weft__waitq *q, int status);
/* The task of the first waiter of q, or NULL (under lk). */
static inline weft_task *weft__waitq_first_locked(const weft__waitq *q) {
  if (weft__waitq_empty_locked(q))
    return NULL;
  return ((const weft__waiter *)(const void *)q->head.next)->task;
}

#endif /* WEFT_RT_WAITQ_H */
