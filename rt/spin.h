/*
 * rt/spin.h: the brief spin before a park (DESIGN 3), for workers and for
 * the blocking pool's threads. The algorithm, its conditions and the
 * alternatives rejected are at the top of rt/spin.c.
 */
#ifndef WEFT_RT_SPIN_H
#define WEFT_RT_SPIN_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/rt.h"

struct weft__worker;

/* The longest spin, whatever the config says. */
#define WEFT__SPIN_MAX_NS ((int64_t)50 * 1000)

/* One spinner's backoff (a worker's, a pool thread's): owner only. */
typedef struct weft__spin_backoff {
  uint32_t fails;     /* spins in a row that ended without a wake */
  int64_t skip_until; /* no spin before this time (weft_now_ns) */
} weft__spin_backoff;

/* The spin budget of a runtime from its config and the environment
 * (WEFT_SPIN_US wins over weft_config.idle_spin_us): 0 when spinning is off
 * (asked for, or the runtime is oversubscribed: fewer than two CPUs, or more
 * workers than CPUs in the process's affinity), else nanoseconds, at most
 * WEFT__SPIN_MAX_NS. Returns -EINVAL for a WEFT_SPIN_US that is not an
 * integer. */
int64_t weft__spin_setting(const weft_config *cfg, int nworkers);

/* True if the backoff lets a spin start now. */
static inline bool weft__spin_may(const weft__spin_backoff *b, int64_t now) {
  return now >= b->skip_until;
}
/* After a spin: a woken one resets the backoff, one that ran out skips the
 * next spins for budget << fails (fails capped: rt/spin.c). */
void weft__spin_after(weft__spin_backoff *b, bool woken, int64_t now,
                      int64_t budget);

/* Spins for at most ns while *word equals v (a pause between looks, the
 * clock read every 64 of them). Returns true as soon as it differs, false
 * when the time ran out. The load is acquire: what the thread that changed
 * the word stored before is visible to the caller. Any thread. */
bool weft__spin_while(const uint32_t *word, uint32_t v, int64_t ns);

/* True when the calling thread runs on a CPU other than cpu (or cpu is
 * unknown, negative): spinning beside the thread it waits for would only
 * delay that thread. */
bool weft__spin_apart(int cpu);
/* The calling thread's CPU, or -1. */
int weft__spin_cpu(void);

/* A worker about to park with this timeout (-1: none) spins first if the
 * conditions of rt/spin.c hold: on its driver (weft__driver_spin), counted
 * in its spins and spins_woken. The park's poll follows either way (it
 * returns at once after a woken spin). Owner worker only. */
void weft__spin_worker(struct weft__worker *w, int64_t timeout_ns);

#endif /* WEFT_RT_SPIN_H */
