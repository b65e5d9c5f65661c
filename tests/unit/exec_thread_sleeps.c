/*
 * How often the threads of a to_thread round trip sleep (issue 8's to_thread
 * gap, bench/findings-gap-thread.md). A round trip of an empty job needs
 * each side to sleep at most once: the pool thread waiting for the next job,
 * the worker waiting for the result. The pool used to hold its lock while it
 * woke the other side (the condition variable's signal in submit, the wake
 * of the waiting task when a job was done); a woken thread that ran at once
 * then slept again on that lock, and the waker had to wake it a second time:
 * about 4 voluntary context switches per round trip instead of 2.
 *
 * The whole process is put on one CPU, where a woken thread most often runs
 * at once (the case that made the extra sleeps every time); voluntary
 * context switches are counted by the kernel (getrusage), for the process
 * and for the pool thread alone (read by the job, on that thread).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>

#include "check.h"

#define ROUND_TRIPS 2000

typedef struct counts {
  long first, last; /* the pool thread's voluntary switches, seen by a job */
  pthread_t thread;
  int threads; /* how many pool threads answered */
} counts;

static long nvcsw(int who) {
  struct rusage ru;
  CHECK_EQ(getrusage(who, &ru), 0);
  return ru.ru_nvcsw;
}

static int note(void *arg, void **result) {
  counts *c = arg;
  (void)result;
  if (!c->threads || !pthread_equal(c->thread, pthread_self())) {
    c->thread = pthread_self();
    c->threads++;
    c->first = nvcsw(RUSAGE_THREAD);
  }
  c->last = nvcsw(RUSAGE_THREAD);
  return 0;
}

static int empty(void *arg, void **result) {
  (void)arg;
  (void)result;
  return 0;
}

static double per_trip_process, per_trip_pool;

static int round_trips(void *arg, void **result) {
  (void)arg;
  (void)result;
  for (int i = 0; i < 100; i++) /* the pool's thread is made */
    CHECK_EQ(weft_to_thread(empty, NULL, NULL, NULL), 0);
  counts c = {0};
  long before = nvcsw(RUSAGE_SELF);
  for (int i = 0; i < ROUND_TRIPS; i++)
    CHECK_EQ(weft_to_thread(note, &c, NULL, NULL), 0);
  long after = nvcsw(RUSAGE_SELF);
  CHECK_EQ(c.threads, 1); /* one thread answered them all */
  per_trip_process = (double)(after - before) / ROUND_TRIPS;
  per_trip_pool = (double)(c.last - c.first) / (ROUND_TRIPS - 1);
  return 0;
}

int main(void) {
  cpu_set_t all;
  CHECK_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &all))
    cpu++;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  /* Before weft_run: the runtime's threads inherit it. */
  CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1;
  CHECK_EQ(weft_run(&cfg, round_trips, NULL, NULL), 0);
  fprintf(stderr,
          "on CPU %d, voluntary context switches per round trip: process "
          "%.2f, pool thread %.2f\n",
          cpu, per_trip_process, per_trip_pool);
  /* 2 and 1 when every wake needs a sleep; fewer when a job is done before
   * its waiter sleeps. Before the fix: about 4 and 2. */
  CHECK(per_trip_process <= 2.1);
  CHECK(per_trip_pool <= 1.05);
  fprintf(stderr, "ok\n");
  return 0;
}
