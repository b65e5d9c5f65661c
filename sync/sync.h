/*
 * sync/sync.h: what the sync/ primitives share. Each primitive keeps its
 * state and its waiter lists under one spinlock of its own and parks only
 * through rt/waitq (the "lists guarded by their owner's lock" part of
 * rt/waitq.h): a waiter links itself under the lock, waits with
 * weft__waitq_wait_lk, and every wake is made under the lock.
 */
#ifndef WEFT_SYNC_SYNC_H
#define WEFT_SYNC_SYNC_H

#include <errno.h>

#include "rt/alloc.h"
#include "rt/atomic.h"
#include "rt/task.h"
#include "rt/waitq.h"
#include "weft/sync.h"

/* Links a waiter for self on q (lk held), records what it waits on for the
 * task dump, and waits (unlocking lk). Returns weft__waitq_wait_lk's. */
static inline int weft__sync_wait(weft__waitq *q, weft__spinlock *lk,
                                  weft_task *self, const char *what) {
  weft__waiter w;
  weft__waitq_push_locked(q, &w, self);
  WEFT__WAIT_SET(self, what, WEFT__WAIT_PLAIN, 0);
  int st = weft__waitq_wait_lk(q, &w, lk);
  WEFT__WAIT_CLEAR(self);
  return st;
}

#endif /* WEFT_SYNC_SYNC_H */
