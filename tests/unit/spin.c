/*
 * The spin before a park (rt/spin.c): that it pays, that it is bounded, that
 * it stays off where it must, and that no wake-up is lost across it.
 *
 *  - pays: one worker on one CPU, the pool thread on another (each thread
 *    pins itself: the main task its worker, the job its pool thread), 2,000
 *    to_thread round trips: spins_woken > 0; with WEFT_SPIN_US=-1, spins ==
 *    0.
 *  - same CPU: both sides pinned to one CPU of the two: no spin (a spinner
 *    would only delay the thread it waits for).
 *  - oversubscribed: more workers than CPUs: no spin.
 *  - bounded: an idle runtime, and one whose only to_thread job sleeps
 *    400 ms while a timer wakes its worker every millisecond, each use
 *    under 20% of a CPU; in the second, the backoff leaves most parks
 *    without a spin (an unbounded spin would take a whole CPU, a spin
 *    without backoff one per park).
 *  - no lost wake: many round trips, jobs of random lengths (none, a
 *    busy-wait of a few microseconds, a yield of the CPU), spin budgets of
 *    1, 3 and 50 us so that wakes land before, in and after the spin, at 1
 *    and 2 workers and with several tasks at once.
 * A watchdog thread fails the whole test if no round trip of any case
 * completes for 10 s: a lost wake-up (a task left queued, or a result left
 * unseen, while its worker sleeps).
 * Exits 77 (skipped) where the process may run on fewer than two CPUs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cpus.h"
#include "rt/spin.h"
#include "watchdog.h"

static int cpu_a, cpu_b; /* two CPUs the process may run on */

/* ---- jobs ---------------------------------------------------------- */

static uint64_t progress; /* round trips made, for the watchdog: atomic */

static int pool_cpu = -1; /* where the pinning job puts its thread */
static int64_t job_ns;    /* how long the pinning job busy-waits */

static int pin_job(void *arg, void **result) {
  (void)arg;
  (void)result;
  static __thread int pinned_to = -1;
  __atomic_fetch_add(&progress, 1, __ATOMIC_RELAXED);
  int want = __atomic_load_n(&pool_cpu, __ATOMIC_RELAXED);
  if (want >= 0 && pinned_to != want) {
    pin_self(want);
    pinned_to = want;
  }
  for (int64_t until = weft_now_ns() + job_ns; weft_now_ns() < until;) {
  }
  return 0;
}

static int64_t cpu_ns(void) {
  struct rusage ru;
  CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Sums of every worker's counters. */
typedef struct sums {
  uint64_t parks, spins, spins_woken;
} sums;

static sums read_sums(void) {
  weft_worker_stats ws[16];
  int n = weft_stats_get(NULL, NULL, ws, 16);
  CHECK(n > 0 && n <= 16);
  sums s = {0};
  for (int i = 0; i < n; i++) {
    s.parks += ws[i].parks;
    s.spins += ws[i].spins;
    s.spins_woken += ws[i].spins_woken;
  }
  return s;
}

static int run_cfg(weft_fn fn, int workers, int spin_us) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = workers;
  cfg.idle_spin_us = spin_us;
  return weft_run(&cfg, fn, NULL, NULL);
}

/* ---- pays, same CPU, oversubscribed ------------------------------- */

#define TRIPS 2000

static sums got; /* what the last run counted, after its warm-up */

/* Round trips with the worker (the main task's thread, at one worker) on
 * main_cpu and the pool thread on pool_cpu (-1: left alone). */
static int main_cpu = -1;

static int round_trips(void *arg, void **result) {
  (void)arg;
  (void)result;
  if (main_cpu >= 0)
    pin_self(main_cpu);
  for (int i = 0; i < 100; i++) /* the pool thread is made and pinned */
    CHECK_EQ(weft_to_thread(pin_job, NULL, NULL, NULL), 0);
  sums before = read_sums();
  for (int i = 0; i < TRIPS; i++)
    CHECK_EQ(weft_to_thread(pin_job, NULL, NULL, NULL), 0);
  sums after = read_sums();
  got = (sums){after.parks - before.parks, after.spins - before.spins,
               after.spins_woken - before.spins_woken};
  return 0;
}

static void report(const char *what) {
  fprintf(stderr,
          "%s: %d round trips: parks %llu spins %llu spins_woken %llu\n", what,
          TRIPS, (unsigned long long)got.parks, (unsigned long long)got.spins,
          (unsigned long long)got.spins_woken);
}

static void t_pays(void) {
  main_cpu = cpu_a;
  __atomic_store_n(&pool_cpu, cpu_b, __ATOMIC_RELAXED);
  CHECK_EQ(run_cfg(round_trips, 1, 0), 0);
  report("apart, spin on");
  /* Most spins end in a wake: a spinner that never saw the flag would end
   * each by its time (and, backing off, spin seldom). */
  CHECK(got.spins_woken > 0 && 2 * got.spins_woken > got.spins);
  CHECK(got.spins_woken <= got.spins && got.spins <= got.parks);

  CHECK_EQ(setenv("WEFT_SPIN_US", "-1", 1), 0); /* wins over the config */
  CHECK_EQ(run_cfg(round_trips, 1, 0), 0);
  CHECK_EQ(unsetenv("WEFT_SPIN_US"), 0);
  report("apart, WEFT_SPIN_US=-1");
  CHECK_EQ(got.spins, 0);
  CHECK(got.parks > 0);
}

static void t_same_cpu(void) {
  main_cpu = cpu_a;
  __atomic_store_n(&pool_cpu, cpu_a, __ATOMIC_RELAXED);
  CHECK_EQ(run_cfg(round_trips, 1, 0), 0);
  report("same CPU");
  CHECK_EQ(got.spins, 0);
}

static void t_oversubscribed(void) {
  cpu_set_t all;
  CHECK_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  int workers = CPU_COUNT(&all) + 1;
  if (workers > 16)
    workers = 16; /* read_sums' room; the check needs only more than CPUs */
  if (workers <= CPU_COUNT(&all))
    return;
  /* The rule itself: whether the spins below happen depends on where the
   * kernel puts the threads (a worker on the pool thread's CPU does not
   * spin), so the setting is checked too. */
  weft_config cfg;
  weft_config_init(&cfg);
  CHECK(weft__spin_setting(&cfg, CPU_COUNT(&all)) > 0);
  CHECK_EQ(weft__spin_setting(&cfg, workers), 0);
  main_cpu = -1;
  __atomic_store_n(&pool_cpu, -1, __ATOMIC_RELAXED);
  /* Jobs long enough that the workers park while one is in flight (short
   * ones finish while the worker still searches, and no one parks). */
  job_ns = 30000;
  fprintf(stderr, "-- %d workers on %d CPUs\n", workers, CPU_COUNT(&all));
  CHECK_EQ(run_cfg(round_trips, workers, 0), 0);
  report("oversubscribed");
  CHECK(got.parks > TRIPS / 4);
  CHECK_EQ(got.spins, 0);
  /* And one worker on one CPU (the process's affinity, inherited). */
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu_a, &one);
  CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  CHECK_EQ(run_cfg(round_trips, 1, 0), 0);
  CHECK_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  job_ns = 0;
  report("one worker on one CPU");
  CHECK_EQ(got.spins, 0);
}

/* ---- bounded ------------------------------------------------------ */

static double used; /* CPU time over wall time, while waiting */

static int idle_main(void *arg, void **result) {
  (void)arg;
  (void)result;
  int64_t c0 = cpu_ns(), t0 = weft_now_ns();
  CHECK_EQ(weft_sleep_ms(300), 0);
  used = (double)(cpu_ns() - c0) / (double)(weft_now_ns() - t0);
  return 0;
}

static int sleep_job(void *arg, void **result) {
  (void)result;
  pin_job(NULL, NULL);
  struct timespec ts = {0, (long)(intptr_t)arg};
  nanosleep(&ts, NULL);
  return 0;
}

static int long_job_task(void *arg, void **result) {
  (void)arg;
  (void)result;
  return weft_to_thread(sleep_job, (void *)(intptr_t)400000000, NULL, NULL);
}

static int busy_timer_main(void *arg, void **result) {
  (void)arg;
  (void)result;
  pin_self(cpu_a);
  for (int i = 0; i < 20; i++) /* the pool thread is made and pinned */
    CHECK_EQ(weft_to_thread(pin_job, NULL, NULL, NULL), 0);
  weft_task *job;
  CHECK_EQ(weft_spawn(&job, long_job_task, NULL), 0);
  CHECK_EQ(weft_sleep_ms(5), 0); /* the job is running */
  sums before = read_sums();
  int64_t c0 = cpu_ns(), t0 = weft_now_ns();
  int ticks = 0;
  while (weft_now_ns() - t0 < 300000000) { /* within the job's 400 ms */
    CHECK_EQ(weft_sleep_ms(1), 0);
    ticks++;
  }
  used = (double)(cpu_ns() - c0) / (double)(weft_now_ns() - t0);
  sums after = read_sums();
  got = (sums){after.parks - before.parks, after.spins - before.spins,
               after.spins_woken - before.spins_woken};
  fprintf(stderr, "%d timer ticks: ", ticks);
  CHECK_EQ(weft_await(job, NULL), 0);
  weft_detach(job);
  return 0;
}

static void t_bounded(void) {
  CHECK_EQ(run_cfg(idle_main, 1, 0), 0);
  fprintf(stderr, "idle runtime: %.1f%% of a CPU\n", 100 * used);
  CHECK(used < 0.2);

  main_cpu = -1;
  __atomic_store_n(&pool_cpu, cpu_b, __ATOMIC_RELAXED);
  CHECK_EQ(run_cfg(busy_timer_main, 1, 0), 0);
  fprintf(stderr,
          "a 400 ms job in flight: %.1f%% of a CPU; parks %llu spins %llu\n",
          100 * used, (unsigned long long)got.parks,
          (unsigned long long)got.spins);
  CHECK(used < 0.2);
  CHECK(got.parks > 50);
  CHECK(got.spins * 4 < got.parks); /* the backoff */
}

/* ---- no lost wake ------------------------------------------------- */

/* A job of a random length: none, a busy-wait of up to 20 us, or a yield
 * of its CPU. */
static int random_job(void *arg, void **result) {
  uintptr_t r = (uintptr_t)arg;
  switch (r % 4) {
  case 0:
  case 1:
    break;
  case 2: {
    int64_t until = weft_now_ns() + (int64_t)(r >> 2) % 20000;
    while (weft_now_ns() < until) {
    }
    break;
  }
  default:
    sched_yield();
  }
  *result = (void *)(r + 1);
  return 0;
}

#define LOST_TRIPS 3000

static int lost_task(void *arg, void **result) {
  (void)result;
  unsigned seed = (unsigned)(uintptr_t)arg;
  for (int i = 0; i < LOST_TRIPS; i++) {
    uintptr_t r = (uintptr_t)rand_r(&seed);
    void *out = NULL;
    CHECK_EQ(weft_to_thread(random_job, (void *)r, &out, NULL), 0);
    CHECK_EQ((uintptr_t)out, r + 1);
    __atomic_fetch_add(&progress, 1, __ATOMIC_RELAXED);
  }
  return 0;
}

static int lost_main(void *arg, void **result) {
  (void)result;
  int tasks = (int)(intptr_t)arg;
  weft_task *t[4];
  for (int i = 0; i < tasks; i++)
    CHECK_EQ(weft_spawn(&t[i], lost_task, (void *)(uintptr_t)(i + 1)), 0);
  for (int i = 0; i < tasks; i++) {
    CHECK_EQ(weft_await(t[i], NULL), 0);
    weft_detach(t[i]);
  }
  return 0;
}

static void t_no_lost_wake(void) {
  __atomic_store_n(&pool_cpu, -1, __ATOMIC_RELAXED);
  static const int budgets[] = {1, 3, 50};
  for (int b = 0; b < 3; b++)
    for (int workers = 1; workers <= 2; workers++)
      for (int tasks = 1; tasks <= 4; tasks *= 4) {
        uint64_t p0 = __atomic_load_n(&progress, __ATOMIC_RELAXED);
        weft_config cfg;
        weft_config_init(&cfg);
        cfg.workers = workers;
        cfg.idle_spin_us = budgets[b];
        CHECK_EQ(weft_run(&cfg, lost_main, (void *)(intptr_t)tasks, NULL), 0);
        uint64_t n = __atomic_load_n(&progress, __ATOMIC_RELAXED) - p0;
        fprintf(stderr, "spin %d us, %d workers, %d tasks: %llu round trips\n",
                budgets[b], workers, tasks, (unsigned long long)n);
        CHECK_EQ(n, (uint64_t)tasks * LOST_TRIPS);
      }
}

int main(void) {
  if (!two_cpus(&cpu_a, &cpu_b)) {
    fprintf(stderr, "skipped: the process may run on one CPU only\n");
    return 77;
  }
  CHECK_EQ(unsetenv("WEFT_SPIN_US"), 0);
  watchdog wd;
  watchdog_start(&wd, &progress, "spin");
  t_pays();
  t_same_cpu();
  t_oversubscribed();
  t_bounded();
  t_no_lost_wake();
  watchdog_stop(&wd);
  fprintf(stderr, "ok\n");
  return 0;
}
