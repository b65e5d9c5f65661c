/*
 * The spinlock (rt/atomic.h, rt/spinlock.c).
 *
 * 1. Mutual exclusion: 4 threads on every CPU the process may use take
 *    the lock 200,000 times each and bump a plain counter and an "inside"
 *    count under it; the counter comes out exact and nobody ever finds
 *    another thread inside. (Under TSan, a missing acquire or release is
 *    also a race report.)
 *
 * 2. A descheduled holder does not stall its waiters: 8 threads pinned to
 *    one CPU each take the lock 150 times and hold it 20 us each time
 *    (busy, reading the clock), so nearly every time the OS switches
 *    threads it takes the CPU from the holder. A waiter that polled
 *    until its time slice ended would give the holder its CPU back only
 *    then: 7 wasted slices per slice of work, which made the run about
 *    4x longer than the time the lock was held (measured with the poll
 *    budget made unbounded: -DWEFT_SPIN_POLLS=4000000000). A waiter that
 *    gives its CPU away after a few polls wastes microseconds. The check:
 *    wall time under 2.5x the total hold time (24 ms). It measures a ratio of
 *    two times on the same CPU, so a slow machine scales both; another
 *    process on that CPU takes a share of the wall time only.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "cpus.h"
#include "rt/atomic.h"

static weft__spinlock lock = WEFT__SPINLOCK_INIT;
static uint64_t counter;  /* under lock */
static unsigned inside;   /* under lock: threads inside */
static unsigned overlaps; /* under lock: times one found another inside */
static pthread_barrier_t start_line;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- 1. mutual exclusion ------------------------------------------ */

enum { EX_THREADS = 4, EX_ROUNDS = 200000 };

static void *exclusion_thread(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < EX_ROUNDS; i++) {
    weft__spin_lock(&lock);
    if (inside++)
      overlaps++;
    counter++;
    inside--;
    weft__spin_unlock(&lock);
  }
  return NULL;
}

static void exclusion(void) {
  pthread_t th[EX_THREADS];
  counter = inside = overlaps = 0;
  CHECK_EQ(pthread_barrier_init(&start_line, NULL, EX_THREADS), 0);
  for (int i = 0; i < EX_THREADS; i++)
    CHECK_EQ(pthread_create(&th[i], NULL, exclusion_thread, NULL), 0);
  for (int i = 0; i < EX_THREADS; i++)
    CHECK_EQ(pthread_join(th[i], NULL), 0);
  pthread_barrier_destroy(&start_line);
  CHECK_EQ(counter, (uint64_t)EX_THREADS * EX_ROUNDS);
  CHECK_EQ(overlaps, 0u);
}

/* ---- 2. a descheduled holder --------------------------------------- */

enum { DS_THREADS = 8, DS_ROUNDS = 150, DS_HOLD_NS = 20000 };

static int the_cpu;

static void *desched_thread(void *arg) {
  (void)arg;
  pin_self(the_cpu);
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < DS_ROUNDS; i++) {
    weft__spin_lock(&lock);
    uint64_t until = now_ns() + DS_HOLD_NS;
    while (now_ns() < until)
      ;
    counter++;
    weft__spin_unlock(&lock);
  }
  return NULL;
}

static void descheduled_holder(void) {
  cpu_set_t all;
  CHECK_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  while (!CPU_ISSET(the_cpu, &all))
    the_cpu++;
  pthread_t th[DS_THREADS];
  counter = 0;
  CHECK_EQ(pthread_barrier_init(&start_line, NULL, DS_THREADS + 1), 0);
  for (int i = 0; i < DS_THREADS; i++)
    CHECK_EQ(pthread_create(&th[i], NULL, desched_thread, NULL), 0);
  pthread_barrier_wait(&start_line);
  uint64_t t0 = now_ns();
  for (int i = 0; i < DS_THREADS; i++)
    CHECK_EQ(pthread_join(th[i], NULL), 0);
  uint64_t wall = now_ns() - t0;
  pthread_barrier_destroy(&start_line);
  CHECK_EQ(counter, (uint64_t)DS_THREADS * DS_ROUNDS);
  uint64_t held = (uint64_t)DS_THREADS * DS_ROUNDS * DS_HOLD_NS;
  printf("descheduled holder: wall %.1f ms for %.1f ms held (%.2fx)\n",
         (double)wall / 1e6, (double)held / 1e6, (double)wall / (double)held);
  CHECK(wall < held * 5 / 2);
}

int main(void) {
  exclusion();
  descheduled_holder();
  return 0;
}
