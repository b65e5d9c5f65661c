/*
 * The spin's quiet wake (rt/spin.c, rt/idle.c, io/reactor.c's wake word),
 * at two workers: a worker spinning before a park, with a to_thread job in
 * flight, is woken by the pool thread with a store to its wake word (no
 * system call), and quiet: it takes its task without waking the other
 * worker, which sleeps throughout.
 *
 * The main task on one CPU, the pool thread on the other (each pins its
 * own thread), 2,000 to_thread round trips of a 5 us job, so that the
 * worker has reached its spin when the result comes. Over those, with W
 * the spins a wake ended (spins_woken), S the sleeps (parks - spins_woken,
 * both workers), U the sleeping workers a worker woke (unparks) and E the
 * process's write system calls (/proc/self/io: an eventfd write is the
 * only write here):
 *  1. W >= 1/20 of the trips: the spinner is woken by the store (not by
 *     the end of its budget, nor by a sleep in epoll). Unloaded, W is
 *     about 95% of the trips in the normal build and half in TSan; with
 *     the CPUs busy, a third in the stress build (where the spins ended by
 *     their budget can outnumber W); with the store not watched, 0.
 *  2. E <= S + slack: a write only to a worker asleep in epoll (one per
 *     sleep at most), none for a spinning one.
 *  3. U <= trips - W/2 + slack: a worker woken from its spin is not
 *     searching, so it wakes nobody when it finds its task; only a wake
 *     that found no spinner may (a searcher that finds work wakes
 *     another), at most one per round trip. W also counts a wake that
 *     landed just before the spin began (its CAS found NOTIFIED), which is
 *     not quiet: hence W/2, not W (about a tenth of W in the stress
 *     build, whose parks sleep at random just there). With quiet wakes
 *     broken, U is about the number of round trips.
 * 2 and 3 hold however the machine is loaded (a slow pool thread makes
 * spins time out: fewer W, more S, never a write to a spinner); 1 needs
 * a hundred of the 2,000 spins to be answered within 50 us.
 * A watchdog fails the test if no round trip completes for 10 s (a lost
 * wake: the spinner parked from SPINNING while its wake went nowhere).
 * Exits 77 (skipped) where the process may run on fewer than two CPUs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cpus.h"
#include "watchdog.h"

#define TRIPS 2000
#define WARMUP 200
#define JOB_NS 5000
#define SLACK (TRIPS / 50)

static int cpu_a, cpu_b;
static uint64_t progress; /* round trips made: atomic */

/* The job: pins its pool thread to cpu_b once, then busy-waits JOB_NS. */
static int job(void *arg, void **result) {
  (void)arg, (void)result;
  static __thread int pinned;
  if (!pinned) {
    pin_self(cpu_b);
    pinned = 1;
  }
  for (int64_t until = weft_now_ns() + JOB_NS; weft_now_ns() < until;) {
  }
  return 0;
}

/* The process's write system calls so far, or -1 if not known. */
static long long writes(void) {
  FILE *f = fopen("/proc/self/io", "r");
  if (!f)
    return -1;
  char line[128];
  long long n = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "syscw: %lld", &n) == 1)
      break;
  fclose(f);
  return n;
}

typedef struct sums {
  uint64_t parks, unparks, spins, woken;
} sums;

static sums read_sums(void) {
  weft_worker_stats ws[2];
  CHECK_EQ(weft_stats_get(NULL, NULL, ws, 2), 2);
  sums s = {0};
  for (int i = 0; i < 2; i++) {
    s.parks += ws[i].parks;
    s.unparks += ws[i].unparks;
    s.spins += ws[i].spins;
    s.woken += ws[i].spins_woken;
  }
  return s;
}

static sums got;
static long long wrote; /* E, or -1 */
static int moves;       /* round trips after which the task was elsewhere */

static int trips(void *arg, void **result) {
  (void)arg, (void)result;
  int where = weft_worker_index();
  pin_self(cpu_a);
  for (int i = 0; i < WARMUP; i++)
    CHECK_EQ(weft_to_thread(job, NULL, NULL, NULL), 0);
  sums b = read_sums();
  long long e0 = writes();
  for (int i = 0; i < TRIPS; i++) {
    CHECK_EQ(weft_to_thread(job, NULL, NULL, NULL), 0);
    __atomic_fetch_add(&progress, 1, __ATOMIC_RELAXED);
    if (weft_worker_index() != where) { /* its worker's thread, pinned */
      where = weft_worker_index();
      pin_self(cpu_a);
      moves++;
    }
  }
  long long e1 = writes();
  sums a = read_sums();
  got = (sums){a.parks - b.parks, a.unparks - b.unparks, a.spins - b.spins,
               a.woken - b.woken};
  wrote = e0 >= 0 && e1 >= 0 ? e1 - e0 : -1;
  return 0;
}

int main(void) {
  if (!two_cpus(&cpu_a, &cpu_b)) {
    fprintf(stderr, "skipped: the process may run on one CPU only\n");
    return 77;
  }
  CHECK_EQ(unsetenv("WEFT_SPIN_US"), 0);
  watchdog wd;
  watchdog_start(&wd, &progress, "spin_quiet");
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 2;
  cfg.idle_spin_us = 0; /* the longest spin allowed */
  CHECK_EQ(weft_run(&cfg, trips, NULL, NULL), 0);
  watchdog_stop(&wd);
  uint64_t sleeps = got.parks - got.woken;
  fprintf(stderr,
          "spin_quiet: %d round trips: parks %llu spins %llu spins_woken "
          "%llu (W) sleeps %llu (S) unparks %llu (U) writes %lld (E), "
          "task moved %d times\n",
          TRIPS, (unsigned long long)got.parks, (unsigned long long)got.spins,
          (unsigned long long)got.woken, (unsigned long long)sleeps,
          (unsigned long long)got.unparks, wrote, moves);
  CHECK(got.woken <= got.spins && got.spins <= got.parks);
  /* 1: woken by the store. */
  CHECK(got.woken * 20 >= TRIPS);
  /* 2: no write for a spinner. */
  if (wrote >= 0)
    CHECK(wrote <= (long long)(sleeps + SLACK));
  else
    fprintf(stderr, "spin_quiet: /proc/self/io unreadable: writes not "
                    "checked\n");
  /* 3: quiet. */
  CHECK(got.unparks <= TRIPS - got.woken / 2 + SLACK);
  fprintf(stderr, "spin_quiet: ok\n");
  return 0;
}
