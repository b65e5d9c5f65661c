/*
 * rt/iowait.c: what io/ asks of the scheduler, kept out of the scheduler's
 * own files: the current worker's driver, a yield that leaves a pending
 * cancellation alone, and a wait on a wait queue bounded by a deadline.
 *
 * The bounded wait (weft__waitq_block) is rt/waitq.h's protocol plus a
 * timer, armed the way weft_sleep_ns arms one (rt/task.c): a fresh
 * generation in the task's timer_gen, an entry on the current worker's
 * heap. Whoever claims the generation by CAS (the timer when it fires, the
 * waiter when it leaves first) decides; a timer that lost leaves a
 * tombstone, and a timer that won but whose wake arrives late is a
 * spurious wake, which every wait loop tolerates. The waiter itself races a
 * waker for its link under the queue's lock (waitq step 4), so a status
 * handed over is never lost to a timeout or a cancellation.
 */
#include <errno.h>

#include "rt/current.h"
#include "rt/driver.h"
#include "rt/task.h"
#include "rt/waitq.h"
#include "rt/worker.h"

weft__driver *weft__driver_current(void) {
  weft__worker *w = weft__worker_current();
  return w ? w->driver : NULL;
}

void weft__driver_yield(void) { weft__switch_out(WEFT__I_YIELD); }

/* Claims the timer's generation back; true if the timer had not fired. */
static bool disarm(weft_task *self, weft__timers *h, uint32_t gen) {
  if (!h)
    return true;
  /* Pairs with the timer's CAS in weft__timers_run. */
  if (ck_pr_cas_32(&self->timer_gen, gen, gen + 1)) {
    weft__timers_note_cancel(h);
    return true;
  }
  return false;
}

int weft__waitq_block(weft__waitq *q, bool (*ready)(void *ctx), void *ctx,
                      int64_t deadline) {
  weft_task *self = weft__self();
  if (!self)
    return -EPERM;
  if (weft__cancel_take(self))
    return -ECANCELED;
  weft__timers *h = NULL;
  uint32_t gen = 0;
  if (deadline >= 0) {
    if (deadline <= weft_now_ns())
      return ready(ctx) ? 0 : -ETIMEDOUT;
    weft__worker *wk = weft__worker_current();
    gen = ck_pr_faa_32(&self->timer_gen, 1) + 1;
    int err = weft__timers_add(&wk->timers, deadline, self, gen);
    if (err)
      return err;
    h = &wk->timers; /* where the timer lives, wherever the task moves */
  }
  weft__waiter w;
  weft__waitq_lock(q);
  if (ready(ctx)) {
    weft__waitq_unlock(q);
    disarm(self, h, gen);
    return 0;
  }
  weft__waitq_push_locked(q, &w, self); /* step 1 */
  weft__waitq_unlock(q);
  for (;;) {
    /* Step 4. Acquire: pairs with the waker's release store (step 3). */
    int st = weft__load_acquire(&w.status);
    if (st != WEFT__PENDING) {
      disarm(self, h, gen);
      return st;
    }
    bool timed_out = h && weft__load_acquire(&self->timer_gen) != gen;
    if (timed_out || weft__cancel_pending(self)) {
      if (!weft__waitq_remove(q, &w)) { /* a waker got there first */
        disarm(self, h, gen);
        return weft__load_acquire(&w.status);
      }
      if (timed_out)
        return -ETIMEDOUT;
      /* If the timer fired too, the cancellation wins, as asyncio's
       * wait_for delivers CancelledError when both are due. */
      (void)disarm(self, h, gen);
      weft__cancel_take(self);
      return -ECANCELED;
    }
    weft__park(); /* step 2 */
  }
}
