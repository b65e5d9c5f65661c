/*
 * sync/semaphore.c: asyncio.Semaphore and BoundedSemaphore, with FIFO
 * hand-off. Invariant under the lock: if tasks wait, value is 0. release()
 * with waiters grants the permit to the first waiter directly (value stays
 * 0), as asyncio's _wake_up_next does; without waiters it raises value. A
 * waiter granted a permit and cancelled before it ran again releases it
 * (to the next waiter) and returns -ECANCELED.
 */
#include "sync/sync.h"

struct weft_sem {
  weft__spinlock lk;
  long value;
  long bound; /* the initial value for a bounded semaphore, else -1 */
  weft__waitq waiters;
};

static int sem_new(weft_sem **out, long value, bool bounded) {
  if (!out || value < 0)
    return -EINVAL;
  weft_sem *s = weft__calloc(sizeof *s);
  if (!s)
    return -ENOMEM;
  s->value = value;
  s->bound = bounded ? value : -1;
  weft__waitq_init(&s->waiters);
  *out = s;
  return 0;
}

int weft_sem_new(weft_sem **out, long value) {
  return sem_new(out, value, false);
}
int weft_sem_new_bounded(weft_sem **out, long value) {
  return sem_new(out, value, true);
}

int weft_sem_free(weft_sem *s) {
  if (!s)
    return 0;
  weft__spin_lock(&s->lk);
  bool busy = !weft__waitq_empty_locked(&s->waiters);
  weft__spin_unlock(&s->lk);
  if (busy)
    return -EBUSY;
  weft__free(s, sizeof *s);
  return 0;
}

int weft_sem_try_acquire(weft_sem *s) {
  if (!s)
    return -EINVAL;
  weft__spin_lock(&s->lk);
  int rc = -EBUSY;
  if (s->value > 0) {
    weft__store_relaxed(&s->value, s->value - 1);
    rc = 0;
  }
  weft__spin_unlock(&s->lk);
  return rc;
}

int weft_sem_acquire(weft_sem *s) {
  if (!s)
    return -EINVAL;
  weft__spin_lock(&s->lk);
  if (s->value > 0) {
    weft__store_relaxed(&s->value, s->value - 1);
    weft__spin_unlock(&s->lk);
    return 0;
  }
  weft_task *self = weft__self();
  if (!self) {
    weft__spin_unlock(&s->lk);
    return -EPERM;
  }
  int st = weft__sync_wait(&s->waiters, &s->lk, self, "semaphore");
  if (st != 0)
    return st;
  if (weft__cancel_take(self)) {
    weft_sem_release(s); /* the permit granted goes on */
    return -ECANCELED;
  }
  return 0;
}

int weft_sem_release(weft_sem *s) {
  if (!s)
    return -EINVAL;
  weft__spin_lock(&s->lk);
  if (s->bound >= 0 && s->value >= s->bound) {
    weft__spin_unlock(&s->lk);
    return -EOVERFLOW;
  }
  if (!weft__waitq_wake_one_locked(&s->waiters, 0, NULL))
    weft__store_relaxed(&s->value, s->value + 1);
  weft__spin_unlock(&s->lk);
  return 0;
}

long weft_sem_value(const weft_sem *s) { return weft__load_relaxed(&s->value); }
