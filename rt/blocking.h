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
                       weft_release_fn release, bool shield,
                       int64_t deadline);

/* Runtime start: makes the lanes (no threads yet). Returns 0 or -ENOMEM. */
int weft__blocking_start(struct weft__runtime *rt);
/* Shutdown step 4: no new jobs; each lane runs its queue and its threads
 * are joined, or are detached at deadline (weft_now_ns clock). Frees what
 * no thread uses. Safe on a runtime that never started the pool. */
void weft__blocking_stop(struct weft__runtime *rt, int64_t deadline);

#endif /* WEFT_RT_BLOCKING_H */
