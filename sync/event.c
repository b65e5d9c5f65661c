/*
 * sync/event.c: asyncio.Event. A flag and one list of waiters under the
 * event's lock. set() raises the flag and wakes every waiter present, under
 * the lock, so a task that waits after a clear() that followed is not woken
 * by that set. A waiter woken by set but cancelled before it ran again
 * returns -ECANCELED (asyncio's rule); the others were woken already.
 */
#include "sync/sync.h"

struct weft_event {
  weft__spinlock lk;
  bool flag;
  weft__waitq waiters;
};

int weft_event_new(weft_event **out) {
  if (!out)
    return -EINVAL;
  weft_event *e = weft__calloc(sizeof *e);
  if (!e)
    return -ENOMEM;
  weft__waitq_init(&e->waiters);
  *out = e;
  return 0;
}

int weft_event_free(weft_event *e) {
  if (!e)
    return 0;
  weft__spin_lock(&e->lk);
  bool busy = !weft__waitq_empty_locked(&e->waiters);
  weft__spin_unlock(&e->lk);
  if (busy)
    return -EBUSY;
  weft__free(e, sizeof *e);
  return 0;
}

void weft_event_set(weft_event *e) {
  weft__spin_lock(&e->lk);
  e->flag = true;
  weft__waitq_wake_all_locked(&e->waiters, 0);
  weft__spin_unlock(&e->lk);
}

void weft_event_clear(weft_event *e) {
  weft__spin_lock(&e->lk);
  e->flag = false;
  weft__spin_unlock(&e->lk);
}

bool weft_event_is_set(const weft_event *e) {
  return weft__load_relaxed(&e->flag);
}

int weft_event_wait(weft_event *e) {
  if (!e)
    return -EINVAL;
  weft_task *self = weft__self();
  weft__spin_lock(&e->lk);
  if (e->flag) {
    weft__spin_unlock(&e->lk);
    return 0;
  }
  if (!self) {
    weft__spin_unlock(&e->lk);
    return -EPERM;
  }
  int st = weft__sync_wait(&e->waiters, &e->lk, self, "event");
  if (st == 0 && weft__cancel_take(self))
    return -ECANCELED;
  return st;
}
