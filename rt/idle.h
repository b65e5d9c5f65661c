/*
 * rt/idle.h: which workers are searching for work and which are parked, and
 * the protocol that keeps a wake-up from being lost between them (Tokio's
 * idle.rs, Go's spinning Ms).
 *
 * One state word packs two counts: workers unparked (awake) and workers
 * searching (stealing). At most half the workers search at once, so a burst
 * of work does not send every idle worker hammering the others' queues.
 *
 * The handshake, in steps:
 *  1. A producer makes a task runnable (a push on a local ring or the inject
 *     queue), then does a read-modify-write on the state word (fetch-add 0,
 *     sequentially consistent) and reads the counts: if no worker searches
 *     and some worker is parked, it unparks one (weft__idle_notify), marked
 *     searching, and writes that worker's wake channel.
 *  2. A worker going to sleep first records itself as parked with a
 *     read-modify-write on the same word (weft__idle_park), then looks at the
 *     queues once more; only if they are all empty does it sleep.
 *  3. The two RMWs on one word are totally ordered: if the producer's came
 *     first, the parker's second look sees the task; if the parker's came
 *     first, the producer sees a parked worker and wakes it. The last
 *     searcher to park also checks every queue, since producers skip the
 *     notify while someone searches.
 * Standalone fences are avoided: TSan models RMWs, not fences.
 *
 * Spinners (rt/spin.c): a parked worker may spin briefly in its driver
 * before it sleeps, while it is on the sleepers' stack. A notify prefers a
 * spinning sleeper (its wake is a store to a word it watches, not an
 * eventfd write and an interrupt), and the spinners are counted so that no
 * more of them spin than to_thread jobs are in flight. Whether a sleeper
 * spins is only a preference: any sleeper woken through its driver wakes,
 * spinning or not, so nothing here touches the handshake above.
 */
#ifndef WEFT_RT_IDLE_H
#define WEFT_RT_IDLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct weft__idle {
  uint32_t state;    /* (unparked << 16) | searching: atomic */
  uint32_t nworkers; /* fixed at init */
  pthread_mutex_t lock;
  int *sleepers;      /* parked worker indexes, a stack: under lock */
  uint32_t nsleepers; /* under lock */
  bool *parked;       /* per worker: in sleepers: under lock */
  uint32_t rand;      /* WEFT_SCHED_RANDOM: under lock */
  uint32_t spinners;  /* workers spinning now: atomic */
  uint32_t *spinning; /* per worker: 1 while it spins: owner writes, notify
                         reads under lock (atomic) */
  bool *quiet; /* per worker: notified from a spin, not searching: lock */
} weft__idle;

int weft__idle_init(weft__idle *idle, uint32_t nworkers);
void weft__idle_fini(weft__idle *idle);

/* True when every worker is awake and none searches: nobody would take a
 * task pushed now (a racy read, a hint for rt/multi.c's kept yields). */
bool weft__idle_all_busy(const weft__idle *idle);
/* Becomes a searcher unless half the workers already search. */
bool weft__idle_try_search(weft__idle *idle);
/* Stops searching (found work). Returns true if it was the last searcher:
 * the caller then notifies another worker, as more work may be waiting. */
bool weft__idle_stop_search(weft__idle *idle);
/* Step 2: records worker w as parked (and no longer searching if it was).
 * Returns true if it was the last searcher. */
bool weft__idle_park(weft__idle *idle, int w, bool searching);
/* After a sleep: returns true if w was unparked by a notify (and is now
 * searching), false if it woke by itself or was notified while it spun
 * (it is now unparked, not searching). */
bool weft__idle_unpark(weft__idle *idle, int w);
/* Step 1: returns the worker to wake, or -1 when none should be. */
int weft__idle_notify(weft__idle *idle);
/* Worker w, parked, starts spinning if fewer than max workers spin:
 * returns false (and changes nothing) if max already do. Owner of w. */
bool weft__idle_spin_begin(weft__idle *idle, int w, uint32_t max);
/* Worker w stops spinning (woken or not). Owner of w. */
void weft__idle_spin_end(weft__idle *idle, int w);
/* Counts every parked worker as unparked and searching (shutdown); the
 * caller then wakes every worker's wake channel. */
void weft__idle_notify_all(weft__idle *idle);

#endif /* WEFT_RT_IDLE_H */
