/* rt/idle.c: searching and parked workers (the protocol: rt/idle.h). */
#include "rt/idle.h"

#include <errno.h>

#include "rt/alloc.h"
#include "rt/atomic.h"

#define SEARCH_ONE 1u
#define UNPARK_ONE (1u << 16)
#define SEARCHING(s) ((s)&0xffffu)
#define UNPARKED(s) ((s) >> 16)

int weft__idle_init(weft__idle *idle, uint32_t nworkers) {
  idle->state = nworkers * UNPARK_ONE; /* everyone starts awake */
  idle->nworkers = nworkers;
  idle->nsleepers = 0;
  idle->sleepers = weft__calloc(nworkers * sizeof *idle->sleepers);
  idle->parked = weft__calloc(nworkers * sizeof *idle->parked);
  idle->spinners = 0;
  idle->spinning = weft__calloc(nworkers * sizeof *idle->spinning);
  idle->quiet = weft__calloc(nworkers * sizeof *idle->quiet);
  if (!idle->sleepers || !idle->parked || !idle->spinning || !idle->quiet) {
    weft__free(idle->sleepers, nworkers * sizeof *idle->sleepers);
    weft__free(idle->parked, nworkers * sizeof *idle->parked);
    weft__free(idle->spinning, nworkers * sizeof *idle->spinning);
    weft__free(idle->quiet, nworkers * sizeof *idle->quiet);
    return -ENOMEM;
  }
  pthread_mutex_init(&idle->lock, NULL);
  return 0;
}

void weft__idle_fini(weft__idle *idle) {
  weft__free(idle->sleepers, idle->nworkers * sizeof *idle->sleepers);
  weft__free(idle->parked, idle->nworkers * sizeof *idle->parked);
  weft__free(idle->spinning, idle->nworkers * sizeof *idle->spinning);
  weft__free(idle->quiet, idle->nworkers * sizeof *idle->quiet);
  pthread_mutex_destroy(&idle->lock);
}

bool weft__idle_all_busy(const weft__idle *idle) {
  /* Relaxed: a hint, read once per maintenance; a worker that parks just
   * after is found at the next one. */
  return weft__load_relaxed(&idle->state) == idle->nworkers * UNPARK_ONE;
}

bool weft__idle_try_search(weft__idle *idle) {
  uint32_t s = weft__load_relaxed(&idle->state);
  /* Racy by design: a few more searchers than half is harmless. */
  if (2 * SEARCHING(s) >= idle->nworkers)
    return false;
  ck_pr_faa_32(&idle->state, SEARCH_ONE);
  return true;
}

bool weft__idle_stop_search(weft__idle *idle) {
  uint32_t prev = ck_pr_faa_32(&idle->state, (uint32_t)-SEARCH_ONE);
  return SEARCHING(prev) == 1;
}

bool weft__idle_park(weft__idle *idle, int w, bool searching) {
  pthread_mutex_lock(&idle->lock);
  uint32_t dec = UNPARK_ONE + (searching ? SEARCH_ONE : 0);
  /* Step 2's RMW: pairs with the fetch-add 0 of a notifier (step 1). */
  uint32_t prev = ck_pr_faa_32(&idle->state, (uint32_t)-dec);
  idle->sleepers[idle->nsleepers++] = w;
  idle->parked[w] = true;
  pthread_mutex_unlock(&idle->lock);
  return searching && SEARCHING(prev) == 1;
}

bool weft__idle_unpark(weft__idle *idle, int w) {
  pthread_mutex_lock(&idle->lock);
  bool notified = !idle->parked[w];
  if (!notified) { /* woke by itself: leave the stack, count as awake */
    for (uint32_t i = 0; i < idle->nsleepers; i++)
      if (idle->sleepers[i] == w) {
        idle->sleepers[i] = idle->sleepers[--idle->nsleepers];
        break;
      }
    idle->parked[w] = false;
    ck_pr_faa_32(&idle->state, UNPARK_ONE);
  }
  bool quiet = idle->quiet[w];
  idle->quiet[w] = false;
  pthread_mutex_unlock(&idle->lock);
  return notified && !quiet;
}

int weft__idle_notify(weft__idle *idle) {
  /* Step 1's RMW (fetch-add 0): pairs with the parker's in step 2. */
  uint32_t s = ck_pr_faa_32(&idle->state, 0);
  if (SEARCHING(s) != 0 || UNPARKED(s) >= idle->nworkers)
    return -1;
  pthread_mutex_lock(&idle->lock);
  s = weft__load_relaxed(&idle->state);
  int w = -1;
  if (SEARCHING(s) == 0 && idle->nsleepers > 0) {
#if defined(WEFT_SCHED_RANDOM) /* rt/multi.c: wake a random sleeper */
    idle->rand = idle->rand * 1103515245u + 12345u;
    uint32_t pick = (idle->rand >> 16) % idle->nsleepers;
    uint32_t top = idle->nsleepers - 1;
    int tmp = idle->sleepers[pick];
    idle->sleepers[pick] = idle->sleepers[top];
    idle->sleepers[top] = tmp;
#endif
    /* A spinning sleeper first: a store to the word it watches wakes it.
     * Looked for only while someone spins (the count, relaxed: a hint; a
     * stale one picks a sleeper that is not spinning, which still wakes). */
    bool spinner = false;
    if (weft__load_relaxed(&idle->spinners) > 0) {
      uint32_t top = idle->nsleepers - 1;
      for (uint32_t i = top + 1; i-- > 0;)
        if (weft__load_relaxed(&idle->spinning[idle->sleepers[i]])) {
          int tmp = idle->sleepers[i];
          idle->sleepers[i] = idle->sleepers[top];
          idle->sleepers[top] = tmp;
          spinner = true;
          break;
        }
    }
    w = idle->sleepers[--idle->nsleepers];
    idle->parked[w] = false;
    /* Woken workers start out searching, so no second one is woken for the
     * same work; a spinning one does not (quiet): it is woken at once, for
     * the one task a to_thread job finished, and as the last searcher it
     * would wake another worker when it found that task, an eventfd write
     * on its way to the task and a worker woken for nothing, every round
     * trip. Producers that find no searcher meanwhile notify: more wakes,
     * never fewer, so the handshake is not touched. */
    idle->quiet[w] = spinner;
    ck_pr_faa_32(&idle->state, UNPARK_ONE + (spinner ? 0 : SEARCH_ONE));
  }
  pthread_mutex_unlock(&idle->lock);
  return w;
}

bool weft__idle_spin_begin(weft__idle *idle, int w, uint32_t max) {
  uint32_t n = weft__load_relaxed(&idle->spinners);
  do {
    if (n >= max)
      return false;
    /* A CAS so that the cap holds; it orders nothing else (the spinning
     * flag is a hint for notify, read under its lock). */
  } while (!ck_pr_cas_32_value(&idle->spinners, n, n + 1, &n));
  /* Relaxed: a hint, read relaxed under notify's lock. */
  weft__store_relaxed(&idle->spinning[w], 1u);
  return true;
}

void weft__idle_spin_end(weft__idle *idle, int w) {
  weft__store_relaxed(&idle->spinning[w], 0u);
  ck_pr_dec_32(&idle->spinners); /* pairs with the CAS of spin_begin */
}

void weft__idle_notify_all(weft__idle *idle) {
  pthread_mutex_lock(&idle->lock);
  for (uint32_t i = 0; i < idle->nsleepers; i++) {
    idle->parked[idle->sleepers[i]] = false;
    ck_pr_faa_32(&idle->state, UNPARK_ONE + SEARCH_ONE);
  }
  idle->nsleepers = 0;
  pthread_mutex_unlock(&idle->lock);
}
