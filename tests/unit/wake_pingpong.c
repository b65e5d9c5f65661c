/* Lost wake-ups: a plain thread and a task hand a token back and forth
 * many times. The thread's wakes go through the inject queue and unpark a
 * parked worker; the task's go through a pipe to the thread. Delays are
 * randomised, so the wake lands at every point of a worker's way to sleep
 * (after it announced itself idle, before it sleeps); a lost wake-up shows
 * as a round that takes more than a second. Bounded in count and time. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rt/task.h"
#include "rt/waitq.h"

static int rounds;

static weft__waitq box;  /* the task waits here for the thread's token */
static int to_thread[2]; /* the task's token to the thread: a pipe */
static uint32_t seed_base;

static void pause_randomly(unsigned *seed) {
  unsigned r = rand_r(seed) % 8;
  if (r < 4)
    return;
  struct timespec ts = {0, (long)(rand_r(seed) % 30000)};
  nanosleep(&ts, NULL);
}

static void *thread_side(void *arg) {
  (void)arg;
  unsigned seed = seed_base;
  for (int i = 0; i < rounds; i++) {
    char c;
    /* The watchdog: the task answers within a second, or its wake-up was
     * lost (it sits in a queue while every worker sleeps). */
    struct pollfd pfd = {.fd = to_thread[0], .events = POLLIN};
    if (poll(&pfd, 1, 1000) != 1) {
      fprintf(stderr, "round %d: no answer within a second: a lost wake-up\n",
              i);
      exit(1);
    }
    CHECK_EQ(read(to_thread[0], &c, 1), 1);
    pause_randomly(&seed);
    /* Hand the token over: the waiter is woken from a foreign thread. */
    int64_t t0 = weft_now_ns();
    while (!weft__waitq_wake_one(&box, i, NULL)) {
      /* The task has not started waiting yet. */
      CHECK(weft_now_ns() - t0 < 1000000000);
      sched_yield();
    }
  }
  return NULL;
}

static int task_side(void *arg, void **result) {
  (void)arg, (void)result;
  weft__waitq_init(&box);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, thread_side, NULL), 0);
  for (int i = 0; i < rounds; i++) {
    int64_t t0 = weft_now_ns();
    weft__waiter w;
    weft__waitq_lock(&box);
    weft__waitq_push_locked(&box, &w, weft_self());
    CHECK_EQ(write(to_thread[1], "x", 1), 1);
    int got = weft__waitq_wait(&box, &w);
    CHECK_EQ(got, i);
    if (weft_now_ns() - t0 > 1000000000) {
      fprintf(stderr, "round %d took over a second: a lost wake-up\n", i);
      exit(1);
    }
  }
  /* The thread is done with its last wake: joining does not block long. */
  pthread_join(th, NULL);
  return 0;
}

int main(void) {
  CHECK_EQ(pipe(to_thread), 0);
  /* One worker; two unpinned; two pinned. Pinned wakes cost a cross-CPU
   * interrupt each, several hundred microseconds under this machine's
   * nested virtualisation, so that run is shorter. */
  struct {
    int workers, rounds;
    const char *pin;
  } runs[] = {{1, 20000, "1"}, {2, 20000, "0"}, {2, 2000, "1"}};
  for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
    int64_t t0 = weft_now_ns();
    seed_base = (uint32_t)k * 77u + 1;
    rounds = runs[k].rounds;
    setenv("WEFT_PIN", runs[k].pin, 1);
    RUN_WORKERS(task_side, runs[k].workers);
    fprintf(stderr, "   %d round trips, WEFT_PIN=%s: %.1f us each\n", rounds,
            runs[k].pin, (double)(weft_now_ns() - t0) / 1e3 / rounds);
  }
  unsetenv("WEFT_PIN");
  fprintf(stderr, "wake_pingpong: all passed\n");
  return 0;
}
