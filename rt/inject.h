/*
 * rt/inject.h: the global inject queue, for tasks made runnable by threads
 * that are not workers of the runtime (weft_cancel from another thread,
 * blocking-pool completions). A mutex and an intrusive list with an atomic
 * length (Tokio's choice; DESIGN 3): workers read the length without the lock
 * and take the lock only when it is non-zero.
 */
#ifndef WEFT_RT_INJECT_H
#define WEFT_RT_INJECT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/atomic.h"
#include "rt/runq.h"

typedef struct weft__inject {
  pthread_mutex_t lock;
  weft__runq q; /* under lock */
  uint64_t len; /* mirrors q.len; written under lock, read atomically */
} weft__inject;

void weft__inject_init(weft__inject *in);
void weft__inject_fini(weft__inject *in);
void weft__inject_push(weft__inject *in, weft_task *t);
/* Queues n tasks (then extra, if not NULL) in one critical section: a full
 * local ring's overflow. */
void weft__inject_push_batch(weft__inject *in, weft_task *const *v, uint32_t n,
                             weft_task *extra);
/* Queues every task of list (emptied) ahead of those already queued: tasks
 * that were due before them (rt/monitor.c). */
void weft__inject_push_front(weft__inject *in, weft__runq *list);
/* Takes up to max tasks, oldest first, into out. Returns how many. */
uint32_t weft__inject_pop_batch(weft__inject *in, weft_task **out,
                                uint32_t max);
/* Moves every queued task to the back of out. Returns how many. */
size_t weft__inject_drain(weft__inject *in, weft__runq *out);
/* Any thread: the queued count, without the lock. Acquire: pairs with the
 * release stores under the lock, so a worker that sees a non-zero length
 * and then takes the lock finds the tasks. Inline: checked on hot paths. */
static inline size_t weft__inject_len(weft__inject *in) {
  return (size_t)weft__load_acquire(&in->len);
}

#endif /* WEFT_RT_INJECT_H */
