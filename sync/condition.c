/*
 * sync/condition.c: asyncio.Condition over a weft_lock. wait() links its
 * waiter under the condition's own spinlock before it releases the lock, so
 * a notify made after the release (which needs the lock) finds it. Then it
 * parks, and whatever happened it takes the lock again, ignoring
 * cancellations until it holds it and reporting one afterwards (asyncio's
 * rule). A waiter notified and cancelled before it ran again passes the
 * notification on to the next waiter, so a notify(1) is never lost.
 */
#include "sync/sync.h"

bool weft__lock_held_by_self(const weft_lock *l);

struct weft_cond {
  weft__spinlock lk;
  weft_lock *lock;
  bool own_lock;
  weft__waitq waiters;
};

int weft_cond_new(weft_cond **out, weft_lock *lock) {
  if (!out)
    return -EINVAL;
  weft_cond *c = weft__calloc(sizeof *c);
  if (!c)
    return -ENOMEM;
  if (!lock) {
    int err = weft_lock_new(&lock);
    if (err) {
      weft__free(c, sizeof *c);
      return err;
    }
    c->own_lock = true;
  }
  c->lock = lock;
  weft__waitq_init(&c->waiters);
  *out = c;
  return 0;
}

int weft_cond_free(weft_cond *c) {
  if (!c)
    return 0;
  weft__spin_lock(&c->lk);
  bool busy = !weft__waitq_empty_locked(&c->waiters);
  weft__spin_unlock(&c->lk);
  if (busy)
    return -EBUSY;
  if (c->own_lock) {
    int err = weft_lock_free(c->lock);
    if (err)
      return err;
  }
  weft__free(c, sizeof *c);
  return 0;
}

weft_lock *weft_cond_lock(weft_cond *c) { return c->lock; }

static void notify_locked(weft_cond *c, size_t n) {
  while (n-- > 0 && weft__waitq_wake_one_locked(&c->waiters, 0, NULL))
    ;
}

int weft_cond_wait(weft_cond *c) {
  if (!c)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self || !weft__lock_held_by_self(c->lock))
    return -EPERM;
  weft__waiter w;
  weft__spin_lock(&c->lk);
  weft__waitq_push_locked(&c->waiters, &w, self);
  weft__spin_unlock(&c->lk);
  weft_lock_release(c->lock);
  weft__spin_lock(&c->lk);
  WEFT__WAIT_SET(self, "condition", WEFT__WAIT_PLAIN, 0);
  int st = weft__waitq_wait_lk(&c->waiters, &w, &c->lk);
  WEFT__WAIT_CLEAR(self);
  bool cancelled = st == -ECANCELED;
  if (st == 0 && weft__cancel_take(self)) {
    cancelled = true;
    weft__spin_lock(&c->lk);
    notify_locked(c, 1); /* the notification we took goes on */
    weft__spin_unlock(&c->lk);
  }
  int rc;
  while ((rc = weft_lock_acquire(c->lock)) == -ECANCELED)
    cancelled = true;
  (void)rc; /* 0: the owner cannot be self, nor the lock be gone */
  return cancelled ? -ECANCELED : 0;
}

int weft_cond_wait_for(weft_cond *c, bool (*pred)(void *ctx), void *ctx) {
  if (!c || !pred)
    return -EINVAL;
  while (!pred(ctx)) {
    int err = weft_cond_wait(c);
    if (err)
      return err;
  }
  return 0;
}

int weft_cond_notify(weft_cond *c, size_t n) {
  if (!c)
    return -EINVAL;
  if (!weft__lock_held_by_self(c->lock))
    return -EPERM;
  weft__spin_lock(&c->lk);
  notify_locked(c, n);
  weft__spin_unlock(&c->lk);
  return 0;
}

int weft_cond_notify_all(weft_cond *c) { return weft_cond_notify(c, SIZE_MAX); }
