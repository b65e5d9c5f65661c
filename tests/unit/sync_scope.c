/*
 * tests/unit/sync_scope.c: timeout scopes, wait_for and shield scopes
 * (rt/scope.c), against DESIGN 1: inside an expired scope the suspension
 * returns -ECANCELED; only that scope's exit reports -ETIMEDOUT, never an
 * outer one; the innermost expiry wins; the deadline moves while the scope
 * is open; a cancellation from outside is never swallowed; a shield defers
 * cancellations; scopes left out of order are refused. One and two
 * workers; deadlines are generous for a loaded machine.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define IP(v) ((void *)(intptr_t)(v))
#define PI(p) ((int)(intptr_t)(p))
#define MS 1000000LL

static int64_t since(int64_t t0) { return (weft_now_ns() - t0) / MS; }

static int t_expire(void *a, void **r) {
  (void)a, (void)r;
  weft_timeout *s;
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_timeout_enter(&s, 20 * MS), 0);
  int rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED);
  CHECK(weft_timeout_expired(s));
  CHECK_EQ(weft_timeout_reschedule(s, -1), -EALREADY);
  CHECK_EQ(weft_timeout_exit(s, rc), -ETIMEDOUT);
  CHECK(since(t0) >= 19 && since(t0) < 5000);
  CHECK_EQ(weft_sleep_ms(1), 0); /* nothing left pending */

  /* Not expired: the body's outcome passes through, even ETIMEDOUT. */
  CHECK_EQ(weft_timeout_enter(&s, 10000 * MS), 0);
  CHECK_EQ(weft_sleep_ms(1), 0);
  CHECK_EQ(weft_timeout_exit(s, 0), 0);
  CHECK_EQ(weft_timeout_enter(&s, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_exit(s, -ETIMEDOUT), -ETIMEDOUT);

  /* Expired with no suspension after: the cancellation is withdrawn. */
  CHECK_EQ(weft_timeout_enter(&s, 0), 0);
  int64_t t1 = weft_now_ns();
  while (!weft_timeout_expired(s) && since(t1) < 5000)
    ;
  CHECK_EQ(weft_timeout_exit(s, 0), 0);
  CHECK_EQ(weft_yield(), 0);

  /* No deadline. */
  CHECK_EQ(weft_timeout_enter_at(&s, -1), 0);
  CHECK_EQ(weft_timeout_when(s), -1);
  CHECK_EQ(weft_sleep_ms(5), 0);
  CHECK_EQ(weft_timeout_exit(s, 0), 0);
  /* Bad input. */
  CHECK_EQ(weft_timeout_enter(&s, -1), -EINVAL);
  CHECK_EQ(weft_timeout_enter_at(&s, -2), -EINVAL);
  CHECK_EQ(weft_timeout_enter(NULL, 1), -EINVAL);
  return 0;
}

static int t_nested(void *a, void **r) {
  (void)a, (void)r;
  weft_timeout *out, *in;
  /* Inner first: only the inner exit reports it. */
  CHECK_EQ(weft_timeout_enter(&out, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_enter(&in, 20 * MS), 0);
  int rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED);
  rc = weft_timeout_exit(in, rc);
  CHECK_EQ(rc, -ETIMEDOUT);
  CHECK(!weft_timeout_expired(out));
  CHECK_EQ(weft_timeout_exit(out, 0), 0);
  /* Outer first: the inner exit passes -ECANCELED on. */
  CHECK_EQ(weft_timeout_enter(&out, 20 * MS), 0);
  CHECK_EQ(weft_timeout_enter(&in, 10000 * MS), 0);
  rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED);
  rc = weft_timeout_exit(in, rc);
  CHECK_EQ(rc, -ECANCELED);
  CHECK_EQ(weft_timeout_exit(out, rc), -ETIMEDOUT);
  /* Both expired before the body resumed: the outer one reports. */
  CHECK_EQ(weft_timeout_enter(&out, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_enter(&in, 10000 * MS), 0);
  weft_shield *hold; /* lets both expire before the body sees either */
  CHECK_EQ(weft_shield_enter(&hold), 0);
  /* Moved only now, so that neither expires before both are open. */
  CHECK_EQ(weft_timeout_reschedule(out, weft_now_ns() + 5 * MS), 0);
  CHECK_EQ(weft_timeout_reschedule(in, weft_now_ns() + 5 * MS), 0);
  CHECK_EQ(weft_sleep_ms(50), 0);
  CHECK(weft_timeout_expired(in) && weft_timeout_expired(out));
  CHECK_EQ(weft_shield_exit(hold), 0);
  rc = weft_yield();
  CHECK_EQ(rc, -ECANCELED);
  rc = weft_timeout_exit(in, rc);
  CHECK_EQ(rc, -ECANCELED);
  CHECK_EQ(weft_timeout_exit(out, rc), -ETIMEDOUT);
  CHECK_EQ(weft_yield(), 0);
  /* Out of order: refused, the scope stays open. */
  CHECK_EQ(weft_timeout_enter(&out, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_enter(&in, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_exit(out, 0), -EINVAL);
  weft_shield *sh;
  CHECK_EQ(weft_shield_enter(&sh), 0);
  CHECK_EQ(weft_timeout_exit(in, 0), -EINVAL);
  CHECK_EQ(weft_shield_exit(sh), 0);
  CHECK_EQ(weft_timeout_exit(in, 0), 0);
  CHECK_EQ(weft_timeout_exit(out, 0), 0);
  return 0;
}

static int t_reschedule(void *a, void **r) {
  (void)a, (void)r;
  weft_timeout *s;
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_timeout_enter(&s, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_reschedule(s, weft_now_ns() + 20 * MS), 0);
  int rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED);
  CHECK_EQ(weft_timeout_exit(s, rc), -ETIMEDOUT);
  CHECK(since(t0) < 5000);
  /* Later, then none. */
  CHECK_EQ(weft_timeout_enter(&s, 10000 * MS), 0);
  CHECK_EQ(weft_timeout_reschedule(s, weft_now_ns() + 50 * MS), 0);
  CHECK_EQ(weft_timeout_reschedule(s, weft_now_ns() + 400 * MS), 0);
  CHECK_EQ(weft_sleep_ms(150), 0); /* past the first deadline */
  CHECK_EQ(weft_timeout_reschedule(s, -1), 0);
  CHECK_EQ(weft_sleep_ms(350), 0); /* past the second */
  CHECK_EQ(weft_timeout_exit(s, 0), 0);
  return 0;
}

/* A cancellation from outside meets an expired scope: never swallowed. */
static int victim(void *arg, void **r) {
  (void)r;
  weft_event *ev = arg;
  weft_timeout *s;
  CHECK_EQ(weft_timeout_enter(&s, 10 * MS), 0);
  int rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED); /* the timeout */
  weft_event_set(ev);
  rc = weft_sleep_ms(10000); /* the canceller's request */
  CHECK_EQ(rc, -ECANCELED);
  return weft_timeout_exit(s, rc);
}

static int t_outside_cancel(void *a, void **r) {
  (void)a, (void)r;
  weft_event *ev;
  CHECK_EQ(weft_event_new(&ev), 0);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, victim, ev), 0);
  CHECK_EQ(weft_event_wait(ev), 0);
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED); /* not -ETIMEDOUT */
  weft_detach(t);
  CHECK_EQ(weft_event_free(ev), 0);
  return 0;
}

static weft_timeout *foreign;
static int exit_foreign(void *a, void **r) {
  (void)a, (void)r;
  return weft_timeout_exit(foreign, 0);
}

static int t_foreign_exit(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_timeout_enter(&foreign, 10000 * MS), 0);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, exit_foreign, NULL), 0);
  CHECK_EQ(weft_await(t, NULL), -EPERM);
  weft_detach(t);
  CHECK_EQ(weft_timeout_exit(foreign, 0), 0);
  return 0;
}

static int sleeper(void *arg, void **r) {
  int rc = weft_sleep_ms(PI(arg));
  *r = IP(42);
  return rc;
}
static int stubborn_started;
static int stubborn(void *arg, void **r) {
  (void)arg;
  __atomic_store_n(&stubborn_started, 1, __ATOMIC_RELEASE);
  int rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED);
  *r = IP(7);
  return 0; /* caught it, returns a result */
}

static int t_wait_for(void *a, void **r) {
  (void)a, (void)r;
  weft_task *t;
  void *res;
  CHECK_EQ(weft_spawn(&t, sleeper, IP(10000)), 0);
  CHECK_EQ(weft_wait_for(t, 20 * MS, &res), -ETIMEDOUT);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_CANCELLED);
  weft_detach(t);
  CHECK_EQ(weft_spawn(&t, sleeper, IP(5)), 0);
  CHECK_EQ(weft_wait_for(t, 10000 * MS, &res), 0);
  CHECK_EQ(PI(res), 42);
  weft_detach(t);
  stubborn_started = 0;
  CHECK_EQ(weft_spawn(&t, stubborn, NULL), 0);
  /* Started first: a task cancelled before its first run never runs. */
  while (!__atomic_load_n(&stubborn_started, __ATOMIC_ACQUIRE))
    CHECK_EQ(weft_yield(), 0);
  CHECK_EQ(weft_wait_for(t, 20 * MS, &res), 0);
  CHECK_EQ(PI(res), 7);
  weft_detach(t);
  CHECK_EQ(weft_yield(), 0);
  CHECK_EQ(weft_wait_for(NULL, 1, &res), -EINVAL);
  return 0;
}

static int shielded_body(void *arg, void **r) {
  (void)r;
  weft_event *ev = arg;
  weft_shield *sh;
  CHECK_EQ(weft_shield_enter(&sh), 0);
  CHECK(weft_shielded());
  weft_event_set(ev);
  CHECK_EQ(weft_sleep_ms(30), 0); /* cancelled meanwhile: deferred */
  CHECK_EQ(weft_shield_exit(sh), 0);
  CHECK(!weft_shielded());
  return weft_yield(); /* delivered here */
}

static int t_shield(void *a, void **r) {
  (void)a, (void)r;
  weft_event *ev;
  CHECK_EQ(weft_event_new(&ev), 0);
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, shielded_body, ev), 0);
  CHECK_EQ(weft_event_wait(ev), 0);
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  weft_detach(t);
  CHECK_EQ(weft_event_free(ev), 0);
  /* An outer timeout expiring under a shield acts after it. */
  weft_timeout *s;
  weft_shield *sh;
  CHECK_EQ(weft_timeout_enter(&s, 10 * MS), 0);
  CHECK_EQ(weft_shield_enter(&sh), 0);
  CHECK_EQ(weft_sleep_ms(50), 0);
  CHECK(weft_timeout_expired(s));
  CHECK_EQ(weft_shield_exit(sh), 0);
  int rc = weft_yield();
  CHECK_EQ(rc, -ECANCELED);
  CHECK_EQ(weft_timeout_exit(s, rc), -ETIMEDOUT);
  CHECK_EQ(weft_shield_enter(NULL), -EINVAL);
  return 0;
}

/* The shield depth is a 16-bit field (rt/task.h): 65,535 scopes open, the
 * next one is refused with -EOVERFLOW and opens nothing; closing them all
 * leaves the task unshielded, and a cancellation is delivered again. */
static int t_shield_depth(void *a, void **r) {
  (void)a, (void)r;
  enum { MAX = 65535 };
  weft_shield **sh = malloc(MAX * sizeof *sh);
  CHECK(sh != NULL);
  for (int i = 0; i < MAX; i++)
    CHECK_EQ(weft_shield_enter(&sh[i]), 0);
  weft_shield *extra = NULL;
  CHECK_EQ(weft_shield_enter(&extra), -EOVERFLOW);
  CHECK(extra == NULL);
  CHECK(weft_shielded());
  CHECK_EQ(weft_cancel(weft_self()), 0);
  CHECK_EQ(weft_yield(), 0); /* shielded: deferred */
  for (int i = MAX - 1; i >= 0; i--)
    CHECK_EQ(weft_shield_exit(sh[i]), 0);
  free(sh);
  CHECK(!weft_shielded());
  CHECK_EQ(weft_yield(), -ECANCELED); /* delivered now */
  return 0;
}

/* await_shielded: the caller stops at once; the task runs on. */
static weft_task *inner;
static int shield_awaiter(void *a, void **r) {
  (void)a, (void)r;
  return weft_await_shielded(inner, NULL);
}

static int t_await_shielded(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_spawn(&inner, sleeper, IP(60)), 0);
  weft_task *w;
  CHECK_EQ(weft_spawn(&w, shield_awaiter, NULL), 0);
  CHECK_EQ(weft_sleep_ms(10), 0);
  CHECK_EQ(weft_cancel(w), 0);
  CHECK_EQ(weft_await(w, NULL), -ECANCELED);
  CHECK_EQ(weft_task_state_of(inner), WEFT_TASK_PENDING);
  void *res;
  CHECK_EQ(weft_await_shielded(inner, &res), 0);
  CHECK_EQ(PI(res), 42);
  weft_detach(w);
  weft_detach(inner);
  return 0;
}

int main(void) {
  for (int n = 1; n <= 2; n++) {
    RUN_WORKERS(t_expire, n);
    RUN_WORKERS(t_nested, n);
    RUN_WORKERS(t_reschedule, n);
    RUN_WORKERS(t_outside_cancel, n);
    RUN_WORKERS(t_foreign_exit, n);
    RUN_WORKERS(t_wait_for, n);
    RUN_WORKERS(t_shield, n);
    RUN_WORKERS(t_shield_depth, n);
    RUN_WORKERS(t_await_shielded, n);
  }
  weft_timeout *s;
  CHECK_EQ(weft_timeout_enter(&s, 1), -EPERM);
  return 0;
}
