/*
 * rt/blocking.h: the blocking pool (rt/blocking.c), the seam io/ uses for
 * files and DNS. Two lanes, each its own set of threads with its own cap:
 * the main lane (weft_to_thread, files) and the DNS lane, so look-ups stuck
 * on a resolver that never answers cannot take every thread files need.
 */
#ifndef WEFT_RT_BLOCKING_H
#define WEFT_RT_BLOCKING_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/exec.h"

struct weft__runtime;

enum { WEFT__LANE_MAIN = 0, WEFT__LANE_DNS = 1, WEFT__LANES = 2 };

/* weft_to_thread on a lane. shield: a cancellation that arrives once fn is
 * running does not end the wait (fn writes into the caller's memory); the
 * call returns fn's outcome and the cancellation stays pending for the next
 * suspension point. A job still queued is dropped either way (-ECANCELED).
 * deadline (weft_now_ns; -1 none; not with shield): past it the call
 * returns -ETIMEDOUT as a cancelled one returns -ECANCELED.
 * Errors as weft_to_thread. May switch. */
int weft__blocking_run(int lane, weft_blocking_fn fn, void *arg, void **result,
                       weft_release_fn release, bool shield, int64_t deadline);

/* Runtime start: makes the lanes (no threads yet). Returns 0 or -ENOMEM. */
int weft__blocking_start(struct weft__runtime *rt);
/* For a worker deciding whether to spin before it parks (rt/spin.c):
 * the number of tasks waiting on the main lane's jobs, and in *cpu the CPU
 * on which a pool thread of that lane last started a job (-1: none yet).
 * Relaxed reads: a hint. A worker of rt while it runs. */
uint32_t weft__blocking_in_flight(struct weft__runtime *rt, int *cpu);
/* Shutdown step 4: no new jobs; each lane runs its queue and its threads
 * are joined, or are detached at deadline (weft_now_ns clock). Frees what
 * no thread uses. Safe on a runtime that never started the pool. */
void weft__blocking_stop(struct weft__runtime *rt, int64_t deadline);

/* The process pool's seam (io/procpool.c; rt/ stays below io/): the pool
 * of the calling task's runtime, made by create(jobs, restarts, workers)
 * the first time (under a lock; the counters are the runtime's procpool_*
 * stats, workers the config's procpool_workers) and stopped by stop at
 * shutdown step 5. *err receives create's failure (NULL returned, and the
 * next call tries again), -EPERM outside a task, -ESHUTDOWN once the
 * runtime is shutting down. May block the thread while create runs. */
void *weft__procpool_get(void *(*create)(uint64_t *jobs, uint64_t *restarts,
                                         int workers, int *err),
                         void (*stop)(void *pool), int *err);
/* The calling task's runtime's pool if it was made, else NULL with *err
 * -ENOENT (-EPERM outside a task). */
void *weft__procpool_peek(int *err);
/* Shutdown step 5 (rt/runtime.c). */
void weft__procpool_stop(struct weft__runtime *rt);

#endif /* WEFT_RT_BLOCKING_H */
