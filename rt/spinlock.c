/*
 * rt/spinlock.c: how a spinlock's waiter waits (rt/atomic.h holds the lock
 * and its fast path, one exchange).
 *
 * Every critical section in weft is short: a few dozen to a few hundred
 * nanoseconds (a queue's ring slot, a wait list's links, a registry
 * shard's list). A waiter polls the lock word, with the CPU's pause hint
 * between polls, WEFT_SPIN_POLLS times; if the lock is still held then, its
 * holder is almost surely not running, and the waiter calls sched_yield
 * before it polls again, round after round.
 *
 * Why: a holder stops running when the OS deschedules it, with more
 * workers than CPUs or another process on its CPU. A waiter that kept
 * polling would hold its own CPU until the end of its time slice
 * (milliseconds), and if the holder waits for that CPU, nobody gets the
 * lock meanwhile. Measured (bench/RESULTS.md, "the spinlock's wait"): at 4
 * workers on 2 CPUs, spawn_many's 35,000 contended acquisitions polled 18
 * million times, nearly all in about 300 waits of some 60,000 polls each;
 * the queue workload (ten producers and one consumer on one lock) ran 3-5x
 * slower than with the yield. The yield also takes a waiter out of the
 * lock's cache line for a while: at 2 workers on 2 CPUs, where a holder
 * is rarely descheduled, the queue workload still ran twice as fast.
 *
 * Go's runtime lock waits the same way before it sleeps in the kernel (a
 * few rounds of pauses, then one yield). weft's waiter never sleeps: a
 * sleeping waiter needs an unlock that checks for sleepers, an atomic
 * read-modify-write on every unlock instead of a plain store.
 *
 * sched_yield leaves errno alone on Linux (it cannot fail).
 */
#include <sched.h>

#include "rt/atomic.h"

#ifndef WEFT_SPIN_POLLS
#define WEFT_SPIN_POLLS 32
#endif

/* The pause hint of a spin-wait poll: ck_pr_stall of CK's GCC port is only
 * a compiler barrier. */
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  ck_pr_stall();
#endif
}

void weft__spin_wait(weft__spinlock *l) {
  unsigned polls = 0;
  while (weft__load_relaxed(&l->locked)) {
    if (++polls < WEFT_SPIN_POLLS) {
      cpu_relax();
    } else {
      sched_yield();
      polls = 0;
    }
  }
}
