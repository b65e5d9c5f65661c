/*
 * sync/barrier.c: asyncio.Barrier by generations. Under the barrier's lock,
 * an arriving task takes the index `count`; the last of `parties` releases
 * every waiter with status 0 and starts a new generation at count 0 (so
 * there is no draining phase to wait through). Each waiter learns its index
 * when it arrives; a waiter cancelled before the release is unlinked and
 * count goes down by one (it leaves; the barrier waits for another). abort
 * and reset wake every waiter with -EPIPE; abort leaves the barrier broken
 * until reset.
 */
#include "sync/sync.h"

struct weft_barrier {
  weft__spinlock lk;
  size_t parties;
  size_t count; /* waiting now; read unlocked by n_waiting */
  bool broken;
  weft__waitq waiters;
};

int weft_barrier_new(weft_barrier **out, size_t parties) {
  if (!out || parties == 0)
    return -EINVAL;
  weft_barrier *b = weft__calloc(sizeof *b);
  if (!b)
    return -ENOMEM;
  b->parties = parties;
  weft__waitq_init(&b->waiters);
  *out = b;
  return 0;
}

int weft_barrier_free(weft_barrier *b) {
  if (!b)
    return 0;
  weft__spin_lock(&b->lk);
  bool busy = !weft__waitq_empty_locked(&b->waiters);
  weft__spin_unlock(&b->lk);
  if (busy)
    return -EBUSY;
  weft__free(b, sizeof *b);
  return 0;
}

int weft_barrier_wait(weft_barrier *b) {
  if (!b)
    return -EINVAL;
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  weft__spin_lock(&b->lk);
  if (b->broken) {
    weft__spin_unlock(&b->lk);
    return -EPIPE;
  }
  size_t index = b->count;
  if (index + 1 == b->parties) {
    weft__waitq_wake_all_locked(&b->waiters, 0);
    weft__store_relaxed(&b->count, (size_t)0);
    weft__spin_unlock(&b->lk);
    return (int)index;
  }
  weft__store_relaxed(&b->count, index + 1);
  int st = weft__sync_wait(&b->waiters, &b->lk, self, "barrier");
  if (st == -ECANCELED) {
    weft__spin_lock(&b->lk);
    weft__store_relaxed(&b->count, b->count - 1);
    weft__spin_unlock(&b->lk);
    return st;
  }
  return st < 0 ? st : (int)index;
}

static void break_all(weft_barrier *b, bool broken) {
  weft__spin_lock(&b->lk);
  b->broken = broken;
  weft__store_relaxed(&b->count, (size_t)0);
  weft__waitq_wake_all_locked(&b->waiters, -EPIPE);
  weft__spin_unlock(&b->lk);
}

void weft_barrier_abort(weft_barrier *b) { break_all(b, true); }
void weft_barrier_reset(weft_barrier *b) { break_all(b, false); }

size_t weft_barrier_n_waiting(const weft_barrier *b) {
  return weft__load_relaxed(&b->count);
}
bool weft_barrier_broken(const weft_barrier *b) {
  return weft__load_relaxed(&b->broken);
}
