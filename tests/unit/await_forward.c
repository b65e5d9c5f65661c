/*
 * The awaiter's wait for fwd_busy (rt/task.c, "cancel", step 3, in
 * await_in_slot): an awaiter in a task's await slot must not leave its
 * await while a canceller is still inside its forward, since the canceller
 * still uses the forward's context (the awaited task) and the awaiter's
 * fwd_busy.
 *
 * The case, on two workers, many times: u sleeps; t awaits u in u's slot;
 * a awaits t in t's slot (each holds the handle of what it awaits and
 * detaches it after the await). A plain thread then cancels a: it holds
 * a->fwd_busy, forwards to t, holds t->fwd_busy, forwards to u, cancels
 * u and wakes it (an inject push and an eventfd write to the parked
 * worker, microseconds), and only then releases t's and a's fwd_busy.
 * Meanwhile the main task yields on the other worker, which takes u from
 * the inject queue within 61 ticks and runs u, t and a one after the
 * other. Without the wait, t and a leave their awaits while the canceller
 * is still in its system call, so:
 *  - normal and ASan builds: a finds its own (or t's) fwd_busy still
 *    held after weft_await returned; counted, and the test fails if any;
 *    in ASan the canceller's release of t->fwd_busy may also land on t
 *    freed by a's detach (heap-use-after-free);
 *  - TSan builds (tsan and stress suites): the canceller's release of
 *    t->fwd_busy is ordered before nothing a does, so a's detach, which
 *    frees t, races with it whatever the timing: a report every run.
 * With the wait, every one of those is ordered: t waits out t->fwd_busy
 * before it finishes, a waits out a->fwd_busy before it returns.
 * Bounded: a fixed number of rounds, each waiting at most 10 s.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "check.h"
#include "rt/atomic.h"
#include "rt/task.h"

#if defined(WEFT_SANITIZER)
enum { ROUNDS = 400 };
#else
enum { ROUNDS = 3000 };
#endif

#define SEC ((int64_t)1000000000)

static sem_t go;             /* main -> canceller: cancel `target` */
static weft_task *target;    /* a, for the canceller: atomic */
static uint32_t cancel_done; /* rounds the canceller finished: atomic */
static uint32_t held_after;  /* awaits that returned with fwd_busy held */

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  return weft_sleep_ms(10000); /* cancelled: -ECANCELED */
}

/* After weft_await(x) returned: no canceller may still be inside self's
 * forward, nor inside x's (x is DONE; a canceller that reached x through
 * our forward left x before it left ours). */
static void check_left(weft_task *self, weft_task *x) {
  if (weft__load_acquire(&self->fwd_busy) || weft__load_acquire(&x->fwd_busy))
    __atomic_fetch_add(&held_after, 1, __ATOMIC_RELAXED);
}

static int middle(void *arg, void **result) {
  (void)result;
  weft_task *u = arg;
  int rc = weft_await(u, NULL);
  check_left(weft_self(), u);
  weft_detach(u);
  return rc;
}

static int top(void *arg, void **result) {
  (void)result;
  weft_task *t = arg;
  int rc = weft_await(t, NULL);
  check_left(weft_self(), t);
  weft_detach(t); /* frees t: nobody may be using it any more */
  return rc;
}

static void *canceller(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    while (sem_wait(&go) != 0)
      ;
    weft_task *a = __atomic_load_n(&target, __ATOMIC_ACQUIRE);
    CHECK_EQ(weft_cancel(a), 0);
    __atomic_store_n(&cancel_done, (uint32_t)i + 1, __ATOMIC_RELEASE);
  }
  return NULL;
}

static bool awaited(weft_task *x) {
  return weft__load_acquire(&x->state) & WEFT__T_AWAITED;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  int64_t t0 = weft_now_ns();
  for (int i = 0; i < ROUNDS; i++) {
    weft_task *u, *t, *a;
    CHECK_EQ(weft_spawn(&u, sleeper, NULL), 0);
    CHECK_EQ(weft_spawn(&t, middle, u), 0);
    CHECK_EQ(weft_spawn(&a, top, t), 0);
    /* Both in their slots (AWAITED is set after the forward). */
    int64_t until = weft_now_ns() + 10 * SEC;
    while (!(awaited(u) && awaited(t))) {
      CHECK(weft_now_ns() < until);
      weft_sleep_ns(20000);
    }
    /* Both parked: a worker that runs none of them parks too, so that the
     * canceller's wake of u is an eventfd write. */
    weft_sleep_ns(200000);
    __atomic_store_n(&target, a, __ATOMIC_RELEASE);
    CHECK_EQ(sem_post(&go), 0);
    /* Yield meanwhile: this worker takes u from the inject queue at once
     * and runs u, t and a while the canceller may still be inside. */
    while (__atomic_load_n(&cancel_done, __ATOMIC_ACQUIRE) != (uint32_t)i + 1) {
      CHECK(weft_now_ns() < until);
      CHECK_EQ(weft_yield(), 0);
    }
    CHECK_EQ(weft_await(a, NULL), -ECANCELED); /* u's outcome, passed up */
    weft_detach(a);
  }
  fprintf(stderr, "   %d rounds in %.2f s\n", ROUNDS,
          (double)(weft_now_ns() - t0) / 1e9);
  return 0;
}

int main(void) {
  CHECK_EQ(sem_init(&go, 0, 0), 0);
  pthread_t c;
  CHECK_EQ(pthread_create(&c, NULL, canceller, NULL), 0);
  RUN_WORKERS(main_task, 2);
  CHECK_EQ(pthread_join(c, NULL), 0);
  uint32_t held = __atomic_load_n(&held_after, __ATOMIC_RELAXED);
  fprintf(stderr,
          "await_forward: %u of %d awaits returned with a canceller "
          "inside a forward\n",
          held, 2 * ROUNDS);
  CHECK_EQ(held, 0);
  fprintf(stderr, "await_forward: ok\n");
  return 0;
}
