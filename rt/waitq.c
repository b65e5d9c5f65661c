/* rt/waitq.c: the one wait queue; the protocol is at the top of rt/waitq.h,
 * and the steps cited here are its steps. */
#include "rt/waitq.h"

#include <errno.h>

#include "rt/current.h"
#include "rt/task.h"
#include "rt/worker.h"

static void unlink_waiter(weft__waiter *w) {
  w->link.prev->next = w->link.next;
  w->link.next->prev = w->link.prev;
  w->link.prev = w->link.next = NULL;
}

/* w unlinked under lk (the list's own lock, or its owner's), if a waker
 * has not taken it first. */
static bool remove_under(weft__spinlock *lk, weft__waiter *w) {
  weft__spin_lock(lk);
  /* Under the lock, "still pending" and "still linked" are the same: a
   * waker unlinks and publishes the status in one critical section. */
  bool linked = weft__load_relaxed(&w->status) == WEFT__PENDING;
  if (linked)
    unlink_waiter(w);
  weft__spin_unlock(lk);
  return linked;
}

bool weft__waitq_remove(weft__waitq *q, weft__waiter *w) {
  return remove_under(&q->lock, w);
}

/* Steps 2 and 4 with lk held on entry (unlocked here). *cancelled tells
 * whether the waiter left on a cancellation, unlinked by itself. */
static int wait_under(weft__spinlock *lk, weft__waiter *w, bool *cancelled) {
  weft_task *self = w->task;
  *cancelled = false;
  weft__spin_unlock(lk);
  for (;;) {
    /* Step 4. Acquire: pairs with the release store of step 3, so the
     * value handed over is visible. */
    int st = weft__load_acquire(&w->status);
    if (st != WEFT__PENDING)
      return st;
    if (weft__cancel_pending(self)) {
      if (remove_under(lk, w)) {
        weft__cancel_take(self);
        *cancelled = true;
        return -ECANCELED;
      }
      return weft__load_acquire(&w->status);
    }
    weft__park(); /* step 2 */
  }
}

int weft__waitq_wait(weft__waitq *q, weft__waiter *w) {
  bool cancelled;
  return wait_under(&q->lock, w, &cancelled);
}

/* Step 3 for the first waiter; called with q locked, returns unlocked.
 * *more tells whether waiters were left behind it (seen under the lock, so
 * wake_all need not lock again only to find the queue empty). w is the
 * calling thread's worker, or NULL if the caller did not look it up. */
static inline bool wake_first_unlock(weft__waitq *q, int status, void *value,
                                     bool *more, weft__worker *w) {
  if (q->head.next == &q->head) {
    *more = false;
    weft__waitq_unlock(q);
    return false;
  }
  weft__waiter *wt = (weft__waiter *)(void *)q->head.next; /* link first */
  unlink_waiter(wt);
  *more = q->head.next != &q->head;
  weft_task *t = wt->task; /* read before the status store frees wt */
  if (wt->filter && !wt->filter(wt, status)) {
    wt->value = value;
    weft__store_release(&wt->status, status);
    weft__waitq_unlock(q);
    return true;
  }
  /* From the status store on, t may return from its wait and finish (woken
   * spuriously, or by a cancel, on another worker): the reference keeps it
   * until its wake is done. Not needed when t can run only on the calling
   * thread, which is busy here: the one worker of an asyncio-order runtime
   * (rt/worker.h) waking a task of that runtime. */
  bool solo = w && t->rt == w->rt && w->rt->asyncio_order;
  if (!solo)
    weft__task_ref(t);
  wt->value = value;
  /* Release: pairs with the acquire load of step 4. */
  weft__store_release(&wt->status, status);
  weft__waitq_unlock(q);
  if (solo) {
    /* Without a reference, only the one worker's own thread may wake. */
    WEFT_DEBUG_ASSERT(weft__worker_current() == w);
    weft__task_wake_on(w, t);
    return true;
  }
  weft__task_wake(t);
  weft__task_unref(t);
  return true;
}

bool weft__waitq_wake_one(weft__waitq *q, int status, void *value) {
  bool more;
  weft__waitq_lock(q);
  return wake_first_unlock(q, status, value, &more, NULL);
}

/* One waiter per critical section, each woken outside the lock. A waiter
 * that arrives after the lock was let go with the queue empty is not ours
 * to wake: it queued after the event (callers make it re-check). */
void weft__waitq_wake_all(weft__waitq *q, int status) {
  weft__waitq_wake_all_on(q, status, NULL);
}

void weft__waitq_wake_all_on(weft__waitq *q, int status, weft__worker *w) {
  bool more;
  do
    weft__waitq_lock(q);
  while (wake_first_unlock(q, status, NULL, &more, w) && more);
}

/* ---- lists guarded by their owner's lock ------------------------------ */

int weft__waitq_wait_lk(weft__waitq *q, weft__waiter *w, weft__spinlock *lk) {
  (void)q;
  bool cancelled;
  int st = wait_under(lk, w, &cancelled);
  if (!cancelled) {
    /* The waker made the wake under lk: once we hold lk it has left. */
    weft__spin_lock(lk);
    weft__spin_unlock(lk);
  }
  return st;
}

weft_task *weft__waitq_wake_one_locked(weft__waitq *q, int status,
                                       void *value) {
  if (q->head.next == &q->head)
    return NULL;
  weft__waiter *w = (weft__waiter *)(void *)q->head.next;
  unlink_waiter(w);
  weft_task *t = w->task;
  w->value = value;
  /* Release: pairs with the acquire load of step 4. No reference is taken
   * around the wake: t cannot return from its wait, let alone finish,
   * before it has taken lk, which the caller holds until after the wake. */
  weft__store_release(&w->status, status);
  weft__task_wake(t);
  return t;
}

size_t weft__waitq_wake_all_locked(weft__waitq *q, int status) {
  size_t n = 0;
  while (weft__waitq_wake_one_locked(q, status, NULL))
    n++;
  return n;
}
