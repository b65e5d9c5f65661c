/*
 * rt/spinlock.c: how a spinlock's waiter waits (rt/atomic.h holds the lock
 * and its fast path, one exchange), and the other busy waits of weft with
 * it (weft__backoff_step: a finished task's awaiter caught between its
 * claim and its store, a canceller inside a task's cancel forward).
 *
 * Most critical sections in weft last tens to hundreds of nanoseconds (a
 * queue's ring slot, a wait list's links, a registry shard's list); a few
 * are longer (a wake's eventfd write, a timer heap's sift, a task dump's
 * walk of every shard). A waiter:
 *  1. polls the lock word, with the CPU's pause hint between polls, up to
 *     WEFT_SPIN_POLLS times (on this project's VM a pause is about 19 ns,
 *     so about 0.6 us in all);
 *  2. then calls sched_yield (about 1.2 us here) and goes back to 1, up to
 *     WEFT_SPIN_YIELDS times;
 *  3. then, the lock still held after all that, sleeps for
 *     WEFT_SPIN_NAP_NS (the kernel's timer slack makes it about 50 us)
 *     before each further round of polls.
 *
 * Why: a holder stops running when the OS deschedules it, with more
 * workers than CPUs or another process on its CPU. A waiter that kept
 * polling would keep its own CPU until the end of its time slice
 * (milliseconds), and if the holder waits for that CPU nobody gets the
 * lock meanwhile. Measured (bench/RESULTS.md, "the spinlock's wait"): at 4
 * workers on 2 CPUs, a spawn_many run's waits polled 27-40 million times,
 * nearly all in a few hundred waits of about 60,000 polls; with the yield,
 * spawn_many took 0.57x the time, gather 0.33x, and the queue workload
 * 0.23x (0.62x at 2 workers, where a waiter that yields also leaves the
 * lock's cache line to the holder for a while).
 *
 * Step 3 is for kernels whose sched_yield does not give the CPU to the
 * descheduled holder (a yield moves the caller behind the other runnable
 * threads of its CPU only as far as the scheduler's policy says; Linux
 * 6.18 here does it). A sleeping waiter is off the run queue for certain.
 * It comes late: while the holder runs on, napping waiters wake up and
 * take its CPU for a poll every 50 us each, which is why the naps start
 * only after 64 yields (a test of 8 threads on one CPU spent 2.2x the CPU
 * time the lock was held with naps after 4 yields, 1.2x after 64).
 *
 * Go's runtime lock waits the same way, then sleeps in the kernel until
 * the unlock wakes it. weft's waiter does not: that needs an unlock that
 * checks for sleepers, an atomic read-modify-write on every unlock instead
 * of a plain store.
 *
 * A nap saves and restores errno (nanosleep may set it); sched_yield
 * cannot fail on Linux.
 */
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "rt/atomic.h"

#ifndef WEFT_SPIN_POLLS
#define WEFT_SPIN_POLLS 32
#endif
#ifndef WEFT_SPIN_YIELDS
#define WEFT_SPIN_YIELDS 64
#endif
#ifndef WEFT_SPIN_NAP_NS
#define WEFT_SPIN_NAP_NS 1000
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

/* A short sleep: the waiter leaves the CPU's run queue for a while. */
static void nap(void) {
  int saved = errno;
  struct timespec ts = {.tv_sec = 0, .tv_nsec = WEFT_SPIN_NAP_NS};
  nanosleep(&ts, NULL);
  errno = saved;
}

void weft__backoff_step(weft__backoff *b) {
  if (++b->polls < WEFT_SPIN_POLLS) {
    cpu_relax();
    return;
  }
  b->polls = 0;
  if (b->yields < WEFT_SPIN_YIELDS) {
    b->yields++;
    sched_yield();
  } else {
    nap();
  }
}

void weft__spin_wait(weft__spinlock *l) {
  weft__backoff b = {0, 0};
  while (weft__load_relaxed(&l->locked))
    weft__backoff_step(&b);
}
