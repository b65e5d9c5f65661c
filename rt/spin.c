/*
 * rt/spin.c: the brief spin before a park (DESIGN 3: "a worker spins
 * briefly (with backoff) before it parks").
 *
 * Why: a to_thread round trip is two cross-thread wakes, the job to a pool
 * thread and its result back to the worker. When both sides sleep between
 * round trips (the worker in epoll, the pool thread on its condition
 * variable) and sit on different vCPUs, each wake is an interrupt to a vCPU
 * that has halted: about 10 us or more on this machine's VM, about 21 us a
 * round trip at one worker (bench/findings-gap-thread.md, bench/RESULTS.md).
 * A side that spins a few microseconds instead of sleeping is woken by a
 * store to a word it watches: no system call, no interrupt.
 *
 * A worker about to park (both loops: rt/worker.c, rt/multi.c, after the
 * idle handshake and the second look) spins first only if all of these
 * hold (weft__spin_worker):
 *  1. Spinning is on: weft_config.idle_spin_us or WEFT_SPIN_US (which wins)
 *     is not negative; 0 means WEFT__SPIN_MAX_NS (50 us), the longest spin
 *     allowed.
 *  2. The runtime is not oversubscribed: the process may run on at least
 *     two CPUs and has no more workers than CPUs (decided once, at start).
 *     Oversubscribed, a spinner takes the CPU of the very thread it waits
 *     for.
 *  3. to_thread jobs are in flight: tasks wait on the blocking pool's main
 *     lane (rt/blocking.c counts them). Nothing else reliably wakes a
 *     worker within microseconds; timers have their own deadline, and I/O
 *     comes from outside.
 *  4. The worker is not on the CPU where the pool thread that does the work
 *     last started a job (sched_getcpu): there, spinning only delays it.
 *  5. Its backoff allows: a spin that ended without a wake makes the next
 *     spins wait budget << fails (fails capped at BACKOFF_MAX_SHIFT: 51 ms
 *     at 50 us), and a spin that was woken resets it. A runtime whose jobs
 *     take longer than the spin thus spins about 0.1% of its time once the
 *     backoff has grown (a few hundred microseconds in all).
 *  6. Fewer workers spin than jobs are in flight (rt/idle.c counts the
 *     spinners): a job's completion wakes one worker, so one spinner per
 *     job is enough, and two spinning workers on two CPUs would leave the
 *     pool thread none.
 * The spin is capped by the park's timeout (the next timer). It is the
 * driver's (rt/driver.h): the worker announces SPINNING on its driver's
 * wake word and watches the word for NOTIFIED; a waker that finds it
 * spinning sets NOTIFIED and writes no eventfd. The handshake with wakers
 * stays the one of a park (io/reactor.c, at its top). A notify of an idle
 * worker prefers a spinning one and wakes it quiet, not searching, so that
 * finding its task it does not wake a second worker (rt/idle.c). I/O readiness
 * is not watched while spinning: at most one budget late, and only while jobs
 * are in flight.
 *
 * Pool threads spin between jobs, before their condition variable wait
 * (rt/blocking.c), under the same conditions read from the lane: 1 and 2
 * (the lane's copy of the budget), 4 against the CPU of the task that
 * submitted the job just finished, and 5 with a backoff per thread; 3 is
 * their reason to spin at all (the job's waiter, woken, typically submits
 * the next one at once).
 *
 * Counters: a worker's spins and spins_woken (weft/stats.h); its parks
 * still count every park, spun or not, so parks - spins_woken is the
 * number of sleeps.
 *
 * Rejected:
 *  - Spinning on every park: an idle runtime (or one waiting on timers or
 *    I/O) would burn CPU for nothing; the conditions above keep an idle
 *    runtime at 0%.
 *  - Spinning in the worker's search loop (Go's spinning Ms): that searches
 *    other workers' queues, which a to_thread result never enters; the
 *    result comes through the inject queue and the driver's wake.
 *  - A fixed skip count as backoff: a time is what bounds the CPU spent.
 */
#include "rt/spin.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "rt/blocking.h"
#include "rt/worker.h"

/* 2^10 budgets at most between two spins that find nothing. */
#define BACKOFF_MAX_SHIFT 10

int64_t weft__spin_setting(const weft_config *cfg, int nworkers) {
  long us = cfg->idle_spin_us;
  const char *env = getenv("WEFT_SPIN_US");
  if (env && *env) {
    char *end;
    us = strtol(env, &end, 10);
    if (*end)
      return -EINVAL;
  }
  if (us < 0)
    return 0;
  int64_t ns = us == 0 || us * 1000 > WEFT__SPIN_MAX_NS ? WEFT__SPIN_MAX_NS
                                                        : (int64_t)us * 1000;
  /* Condition 2. */
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  if (cpus < 2 || nworkers > cpus)
    return 0;
  return ns;
}

void weft__spin_after(weft__spin_backoff *b, bool woken, int64_t now,
                      int64_t budget) {
  if (woken) {
    b->fails = 0;
    b->skip_until = 0;
    return;
  }
  if (b->fails < BACKOFF_MAX_SHIFT)
    b->fails++;
  b->skip_until = now + (budget << b->fails);
}

bool weft__spin_while(const uint32_t *word, uint32_t v, int64_t ns) {
  int64_t end = weft_now_ns() + ns;
  for (uint32_t i = 1;; i++) {
    ck_pr_stall();
    if (weft__load_acquire(word) != v)
      return true;
    if ((i & 63) == 0 && weft_now_ns() >= end)
      return false;
  }
}

int weft__spin_cpu(void) { return sched_getcpu(); }

bool weft__spin_apart(int cpu) { return cpu < 0 || sched_getcpu() != cpu; }

void weft__spin_worker(weft__worker *w, int64_t timeout_ns) {
  weft__runtime *rt = w->rt;
  int64_t full = rt->spin_ns;
  if (full == 0 || timeout_ns == 0) /* 1, 2; or no time to spin */
    return;
  int pool_cpu;
  uint32_t jobs = weft__blocking_in_flight(rt, &pool_cpu);
  if (jobs == 0) /* 3 */
    return;
  int64_t now = weft_now_ns();
  if (!weft__spin_may(&w->spin, now) || !weft__spin_apart(pool_cpu)) /* 5, 4 */
    return;
  /* 6: one worker in asyncio order, no one to count against. */
  bool counted = !rt->asyncio_order;
  if (counted && !weft__idle_spin_begin(&rt->idle, w->index, jobs))
    return;
  int64_t budget = timeout_ns > 0 && timeout_ns < full ? timeout_ns : full;
  WEFT__STAT_ADD(w, spins, 1);
  bool woken = weft__driver_spin(w->driver, budget);
  if (counted)
    weft__idle_spin_end(&rt->idle, w->index);
  if (woken)
    WEFT__STAT_ADD(w, spins_woken, 1);
  /* A spin the next timer cut short says nothing about the jobs. */
  if (woken || budget == full)
    weft__spin_after(&w->spin, woken, weft_now_ns(), full);
}
