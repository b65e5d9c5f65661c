/* Stress: another thread cancels tasks at random moments while they sleep,
 * yield or run, so cancellation and wakes cross threads (the inject queue,
 * the NOTIFIED bit, the driver's wake). Every task must see its cancellation
 * exactly once and finish; nothing may hang. Bounded in count and time;
 * meant for the TSan build as much as the normal one. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

enum { ROUNDS = 20, N = 200 };

typedef struct slot {
  weft_task *task;
  int started;   /* entered its body: written by the task */
  int delivered; /* -ECANCELED seen: written by the task */
  unsigned seed;
} slot;

static slot slots[N];
static int canceller_done; /* atomic */

static int victim(void *arg, void **result) {
  (void)result;
  slot *s = arg;
  s->started = 1;
  for (;;) {
    int r = (int)(rand_r(&s->seed) % 3);
    int rc = r == 0 ? weft_yield() : r == 1 ? weft_sleep_ns(20000) : 0;
    if (r == 2)
      for (volatile int spin = 0; spin < 200; spin++)
        ;
    if (rc == -ECANCELED) {
      s->delivered++;
      /* Clean-up that suspends again must not see it a second time. */
      CHECK_EQ(weft_yield(), 0);
      return -ECANCELED;
    }
    CHECK_EQ(rc, 0);
  }
}

static void *canceller(void *arg) {
  (void)arg;
  unsigned seed = 7;
  int order[N];
  for (int i = 0; i < N; i++)
    order[i] = i;
  for (int i = N - 1; i > 0; i--) {
    int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
    int tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  for (int i = 0; i < N; i++) {
    CHECK_EQ(weft_cancel(slots[order[i]].task), 0);
    if (rand_r(&seed) % 4 == 0) {
      struct timespec ts = {0, (long)(rand_r(&seed) % 50000)};
      nanosleep(&ts, NULL);
    }
  }
  __atomic_store_n(&canceller_done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  static weft_task *t[N];
  for (int i = 0; i < N; i++) {
    slots[i] = (slot){.seed = (unsigned)i * 2654435761u};
    CHECK_EQ(weft_spawn(&slots[i].task, victim, &slots[i]), 0);
    t[i] = slots[i].task;
  }
  CHECK_EQ(weft_yield(), 0);
  __atomic_store_n(&canceller_done, 0, __ATOMIC_RELAXED);
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, canceller, NULL), 0);
  CHECK_EQ(weft_gather(t, N, NULL, NULL, WEFT_GATHER_ALL), 0);
  while (!__atomic_load_n(&canceller_done, __ATOMIC_ACQUIRE))
    CHECK_EQ(weft_sleep_ms(1), 0);
  pthread_join(th, NULL); /* finished: does not block the worker */
  for (int i = 0; i < N; i++) {
    /* Delivered exactly once to a task that ran; a task cancelled before
     * it first ran (possible with two workers) never enters its body. */
    CHECK_EQ(slots[i].delivered, slots[i].started);
    CHECK_EQ(weft_task_state_of(t[i]), WEFT_TASK_CANCELLED);
    weft_detach(t[i]);
  }
  return 0;
}

int main(void) {
  int64_t t0 = weft_now_ns();
  /* One worker (asyncio order) and two (work stealing, wakes across
   * workers as well as from the foreign thread). */
  for (int r = 0; r < ROUNDS && weft_now_ns() - t0 < 20000000000; r++)
    CHECK_EQ(check_run_workers(main_task, 1 + r % 2), 0);
  fprintf(stderr, "cross_thread: passed\n");
  return 0;
}
