/*
 * sync/lock.c: asyncio.Lock with FIFO hand-off. The lock records its owner
 * task. release() with waiters makes the first waiter the owner before
 * waking it, so no task can barge in between (asyncio's Lock refuses
 * barging too, while a woken waiter is on its way). A waiter granted the
 * lock and cancelled before it ran again releases it at once (handing it to
 * the next waiter) and returns -ECANCELED; a waiter cancelled before any
 * grant is unlinked under the lock, so release never grants to it.
 */
#include "sync/sync.h"

struct weft_lock {
  weft__spinlock lk;
  weft_task *owner; /* under lk; read unlocked by weft_lock_locked */
  weft__waitq waiters;
};

int weft_lock_new(weft_lock **out) {
  if (!out)
    return -EINVAL;
  weft_lock *l = weft__calloc(sizeof *l);
  if (!l)
    return -ENOMEM;
  weft__waitq_init(&l->waiters);
  *out = l;
  return 0;
}

int weft_lock_free(weft_lock *l) {
  if (!l)
    return 0;
  weft__spin_lock(&l->lk);
  bool busy = l->owner || !weft__waitq_empty_locked(&l->waiters);
  weft__spin_unlock(&l->lk);
  if (busy)
    return -EBUSY;
  weft__free(l, sizeof *l);
  return 0;
}

/* Under l->lk: takes l for self if it is free and nobody waits for it (no
 * barging past a queue: FIFO, as asyncio). */
static bool take_if_free(weft_lock *l, weft_task *self) {
  if (l->owner || !weft__waitq_empty_locked(&l->waiters))
    return false;
  weft__store_relaxed(&l->owner, self);
  return true;
}

int weft_lock_try_acquire(weft_lock *l) {
  if (!l)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft__spin_lock(&l->lk);
  bool took = take_if_free(l, self);
  weft__spin_unlock(&l->lk);
  return took ? 0 : -EBUSY;
}

int weft_lock_acquire(weft_lock *l) {
  if (!l)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft__spin_lock(&l->lk);
  if (take_if_free(l, self)) {
    weft__spin_unlock(&l->lk);
    return 0;
  }
  if (l->owner == self) {
    weft__spin_unlock(&l->lk);
    return -EDEADLK;
  }
  int st = weft__sync_wait(&l->waiters, &l->lk, self, "lock");
  if (st != 0)
    return st; /* -ECANCELED: never granted */
  /* Granted: owner == self. Cancelled meanwhile: pass it on. */
  if (weft__cancel_take(self)) {
    weft_lock_release(l);
    return -ECANCELED;
  }
  return 0;
}

int weft_lock_release(weft_lock *l) {
  if (!l)
    return -EINVAL;
  weft_task *self = weft__self();
  weft__spin_lock(&l->lk);
  if (!self || l->owner != self) {
    weft__spin_unlock(&l->lk);
    return -EPERM;
  }
  if (weft__waitq_empty_locked(&l->waiters)) {
    weft__store_relaxed(&l->owner, NULL);
  } else { /* FIFO hand-off: the first waiter owns it now */
    weft__store_relaxed(&l->owner, weft__waitq_first_locked(&l->waiters));
    weft__waitq_wake_one_locked(&l->waiters, 0, NULL);
  }
  weft__spin_unlock(&l->lk);
  return 0;
}

bool weft_lock_locked(const weft_lock *l) {
  return weft__load_relaxed(&l->owner) != NULL;
}

/* For sync/condition.c: does the calling task hold l? */
bool weft__lock_held_by_self(const weft_lock *l);
bool weft__lock_held_by_self(const weft_lock *l) {
  weft_task *self = weft__self();
  return self && weft__load_relaxed(&l->owner) == self;
}
