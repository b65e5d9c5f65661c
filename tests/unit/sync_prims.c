/*
 * tests/unit/sync_prims.c: the sync/ primitives on one worker (asyncio's
 * order, so each outcome is exact): Event, Lock, Semaphore and
 * BoundedSemaphore, Condition, Queue (FIFO, LIFO, priority; bounded; the
 * try forms; task_done and join; close), oneshot and Barrier, each with its
 * bad input and with a cancellation crossing a grant (the grant goes on,
 * nothing is lost).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

bool weft__lock_held_by_self(const weft_lock *l); /* sync/lock.c */

#define IP(v) ((void *)(intptr_t)(v))
#define PI(p) ((int)(intptr_t)(p))

static char trace[256];
static void note(char c) {
  size_t n = strlen(trace);
  CHECK(n + 1 < sizeof trace);
  trace[n] = c;
  trace[n + 1] = 0;
}
#define TRACE_IS(s)                                                            \
  do {                                                                         \
    if (strcmp(trace, (s)) != 0) {                                             \
      fprintf(stderr, "%s:%d: trace %s, want %s\n", __FILE__, __LINE__, trace, \
              (s));                                                            \
      exit(1);                                                                 \
    }                                                                          \
    trace[0] = 0;                                                              \
  } while (0)

static void spawn(weft_task **t, weft_fn fn, void *arg) {
  CHECK_EQ(weft_spawn(t, fn, arg), 0);
}
static void settle(int rounds) {
  for (int i = 0; i < rounds; i++)
    CHECK_EQ(weft_yield(), 0);
}
static int finish(weft_task *t) {
  int rc = weft_await(t, NULL);
  weft_detach(t);
  return rc;
}

/* ---- Event ---- */
static weft_event *ev;
static int ev_waiter(void *arg, void **r) {
  (void)r;
  int rc = weft_event_wait(ev);
  if (rc == 0)
    note((char)PI(arg));
  return rc;
}

static int t_event(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_event_new(NULL), -EINVAL);
  CHECK_EQ(weft_event_new(&ev), 0);
  CHECK(!weft_event_is_set(ev));
  weft_task *t[4];
  for (int i = 0; i < 4; i++)
    spawn(&t[i], ev_waiter, IP('a' + i));
  settle(2);
  CHECK_EQ(weft_event_free(ev), -EBUSY);
  weft_event_set(ev);
  CHECK_EQ(weft_cancel(t[1]), 0); /* woken, then cancelled before it ran */
  CHECK_EQ(finish(t[0]), 0);
  CHECK_EQ(finish(t[1]), -ECANCELED);
  CHECK_EQ(finish(t[2]), 0);
  CHECK_EQ(finish(t[3]), 0);
  TRACE_IS("acd");                  /* the others woken regardless, in order */
  CHECK_EQ(weft_event_wait(ev), 0); /* set: no wait */
  weft_event_clear(ev);
  spawn(&t[0], ev_waiter, IP('x'));
  settle(2);
  CHECK_EQ(weft_cancel(t[0]), 0);
  CHECK_EQ(finish(t[0]), -ECANCELED);
  weft_event_set(ev);
  TRACE_IS("");
  CHECK_EQ(weft_event_free(ev), 0);
  return 0;
}

/* ---- Lock ---- */
static weft_lock *lk;
static int lk_user(void *arg, void **r) {
  (void)r;
  int rc = weft_lock_acquire(lk);
  if (rc)
    return rc;
  note((char)PI(arg));
  CHECK_EQ(weft_yield(), 0);
  CHECK_EQ(weft_lock_release(lk), 0);
  return 0;
}
static int lk_release_other(void *a, void **r) {
  (void)a, (void)r;
  return weft_lock_release(lk);
}

static int t_lock(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_lock_new(&lk), 0);
  CHECK_EQ(weft_lock_release(lk), -EPERM); /* not held */
  CHECK_EQ(weft_lock_acquire(lk), 0);
  CHECK(weft_lock_locked(lk));
  CHECK_EQ(weft_lock_acquire(lk), -EDEADLK);
  weft_task *o;
  spawn(&o, lk_release_other, NULL);
  CHECK_EQ(finish(o), -EPERM); /* held by another task */
  CHECK(weft_lock_locked(lk));
  weft_task *t[4];
  for (int i = 0; i < 4; i++)
    spawn(&t[i], lk_user, IP('a' + i));
  settle(2);
  CHECK_EQ(weft_lock_free(lk), -EBUSY);
  CHECK_EQ(weft_lock_release(lk), 0); /* handed to a */
  CHECK(weft_lock_locked(lk));
  CHECK_EQ(weft_lock_try_acquire(lk), -EBUSY);
  CHECK_EQ(weft_cancel(t[0]), 0); /* a granted, then cancelled: passes on */
  CHECK_EQ(weft_cancel(t[2]), 0); /* c cancelled while waiting */
  for (int i = 0; i < 4; i++)
    CHECK_EQ(finish(t[i]), (i == 0 || i == 2) ? -ECANCELED : 0);
  TRACE_IS("bd");
  CHECK(!weft_lock_locked(lk));
  CHECK_EQ(weft_lock_try_acquire(lk), 0);
  CHECK_EQ(weft_lock_release(lk), 0);
  CHECK_EQ(weft_lock_free(lk), 0);
  return 0;
}

/* ---- Semaphore ---- */
static weft_sem *sem;
static int sem_user(void *arg, void **r) {
  (void)r;
  int rc = weft_sem_acquire(sem);
  if (rc)
    return rc;
  note((char)PI(arg));
  CHECK_EQ(weft_yield(), 0);
  CHECK_EQ(weft_sem_release(sem), 0);
  return 0;
}

static int t_sem(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_sem_new(&sem, -1), -EINVAL);
  CHECK_EQ(weft_sem_new_bounded(&sem, -5), -EINVAL);
  CHECK_EQ(weft_sem_new_bounded(&sem, 2), 0);
  CHECK_EQ(weft_sem_release(sem), -EOVERFLOW);
  CHECK_EQ(weft_sem_value(sem), 2);
  CHECK_EQ(weft_sem_acquire(sem), 0);
  CHECK_EQ(weft_sem_try_acquire(sem), 0);
  CHECK_EQ(weft_sem_try_acquire(sem), -EBUSY);
  weft_task *t[4];
  for (int i = 0; i < 4; i++)
    spawn(&t[i], sem_user, IP('a' + i));
  settle(2);
  CHECK_EQ(weft_sem_free(sem), -EBUSY);
  CHECK_EQ(weft_sem_release(sem), 0); /* to a */
  CHECK_EQ(weft_cancel(t[0]), 0);     /* a passes it on to b */
  CHECK_EQ(weft_cancel(t[3]), 0);     /* d leaves the line */
  CHECK_EQ(weft_sem_value(sem), 0);
  CHECK_EQ(weft_sem_release(sem), 0); /* to c */
  for (int i = 0; i < 4; i++)
    CHECK_EQ(finish(t[i]), (i == 0 || i == 3) ? -ECANCELED : 0);
  TRACE_IS("bc");
  CHECK_EQ(weft_sem_value(sem), 2);
  CHECK_EQ(weft_sem_release(sem), -EOVERFLOW);
  CHECK_EQ(weft_sem_free(sem), 0);
  /* An unbounded one may go above its start. */
  CHECK_EQ(weft_sem_new(&sem, 0), 0);
  CHECK_EQ(weft_sem_release(sem), 0);
  CHECK_EQ(weft_sem_value(sem), 1);
  CHECK_EQ(weft_sem_free(sem), 0);
  return 0;
}

/* ---- Condition ---- */
static weft_cond *cv;
static int cv_ready;
static bool cv_pred(void *ctx) { return *(int *)ctx > 0; }
static int cv_waiter(void *arg, void **r) {
  (void)r;
  weft_lock *l = weft_cond_lock(cv);
  CHECK_EQ(weft_lock_acquire(l), 0);
  int rc = weft_cond_wait(cv);
  CHECK(weft__lock_held_by_self(l));
  if (rc == 0)
    note((char)PI(arg));
  CHECK_EQ(weft_lock_release(l), 0);
  return rc;
}
static int cv_pred_waiter(void *arg, void **r) {
  (void)arg, (void)r;
  weft_lock *l = weft_cond_lock(cv);
  CHECK_EQ(weft_lock_acquire(l), 0);
  CHECK_EQ(weft_cond_wait_for(cv, cv_pred, &cv_ready), 0);
  note('p');
  CHECK_EQ(weft_lock_release(l), 0);
  return 0;
}

static int t_cond(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_cond_new(&cv, NULL), 0);
  weft_lock *l = weft_cond_lock(cv);
  CHECK_EQ(weft_cond_wait(cv), -EPERM); /* lock not held */
  CHECK_EQ(weft_cond_notify(cv, 1), -EPERM);
  weft_task *t[4], *p;
  for (int i = 0; i < 4; i++)
    spawn(&t[i], cv_waiter, IP('a' + i));
  spawn(&p, cv_pred_waiter, NULL);
  settle(3);
  CHECK_EQ(weft_cond_free(cv), -EBUSY);
  CHECK_EQ(weft_lock_acquire(l), 0);
  CHECK_EQ(weft_cond_notify(cv, 2), 0); /* a and b */
  CHECK_EQ(weft_cancel(t[0]), 0);       /* a passes its notification to c */
  CHECK_EQ(weft_lock_release(l), 0);
  CHECK_EQ(finish(t[0]), -ECANCELED);
  CHECK_EQ(finish(t[1]), 0);
  CHECK_EQ(finish(t[2]), 0);
  TRACE_IS("bc");
  CHECK_EQ(weft_cancel(t[3]), 0); /* d cancelled while waiting */
  CHECK_EQ(finish(t[3]), -ECANCELED);
  CHECK_EQ(weft_lock_acquire(l), 0);
  CHECK_EQ(weft_cond_notify_all(cv), 0); /* p wakes, predicate false */
  CHECK_EQ(weft_lock_release(l), 0);
  settle(3);
  TRACE_IS("");
  CHECK_EQ(weft_lock_acquire(l), 0);
  cv_ready = 1;
  CHECK_EQ(weft_cond_notify_all(cv), 0);
  CHECK_EQ(weft_lock_release(l), 0);
  CHECK_EQ(finish(p), 0);
  TRACE_IS("p");
  CHECK_EQ(weft_cond_free(cv), 0);
  return 0;
}

/* ---- Queue ---- */
static weft_queue *qu;
static int q_getter(void *arg, void **r) {
  (void)r;
  void *item;
  int rc = weft_queue_get(qu, &item);
  if (rc)
    return rc;
  note((char)PI(arg));
  note((char)PI(item));
  return 0;
}
static int q_putter(void *arg, void **r) {
  (void)r;
  int rc = weft_queue_put(qu, arg);
  if (rc == 0)
    note((char)PI(arg));
  return rc;
}

static int q_joiner(void *arg, void **r) {
  (void)arg, (void)r;
  int rc = weft_queue_join(qu);
  if (rc == 0)
    note('J');
  return rc;
}

static void drain_into_trace(void) {
  void *it;
  while (weft_queue_try_get(qu, &it) == 0)
    note((char)PI(it));
}

static int t_queue(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_queue_new(&qu, (weft_queue_kind)7, 0), -EINVAL);
  /* The three orders. */
  CHECK_EQ(weft_queue_new(&qu, WEFT_QUEUE_FIFO, 0), 0);
  for (int i = 0; i < 20; i++)
    CHECK_EQ(weft_queue_put(qu, IP('a' + i)), 0);
  CHECK_EQ(weft_queue_size(qu), 20);
  drain_into_trace();
  TRACE_IS("abcdefghijklmnopqrst");
  CHECK_EQ(weft_queue_free(qu), 0);
  CHECK_EQ(weft_queue_new(&qu, WEFT_QUEUE_LIFO, 0), 0);
  for (int i = 0; i < 5; i++)
    CHECK_EQ(weft_queue_put(qu, IP('a' + i)), 0);
  drain_into_trace();
  TRACE_IS("edcba");
  CHECK_EQ(weft_queue_free(qu), 0);
  CHECK_EQ(weft_queue_new(&qu, WEFT_QUEUE_PRIORITY, 0), 0);
  static const int prio[] = {5, 1, 3, 1, 9, 0, 3, 7, 2, 1};
  for (int i = 0; i < 10; i++)
    CHECK_EQ(weft_queue_put_prio(qu, prio[i], IP('a' + i)), 0);
  drain_into_trace();
  TRACE_IS("fbdjicgahe"); /* by priority, equal ones in arrival order */
  CHECK_EQ(weft_queue_free(qu), 0);

  /* Bounded: putters wait in order; try forms. */
  CHECK_EQ(weft_queue_new(&qu, WEFT_QUEUE_FIFO, 2), 0);
  CHECK_EQ(weft_queue_maxsize(qu), 2);
  void *it;
  CHECK_EQ(weft_queue_try_get(qu, &it), -EAGAIN);
  CHECK_EQ(weft_queue_try_put(qu, IP('1')), 0);
  CHECK_EQ(weft_queue_try_put(qu, IP('2')), 0);
  CHECK_EQ(weft_queue_try_put(qu, IP('3')), -EAGAIN);
  weft_task *t[4];
  for (int i = 0; i < 3; i++)
    spawn(&t[i], q_putter, IP('a' + i));
  settle(2);
  CHECK_EQ(weft_queue_free(qu), -EBUSY);
  TRACE_IS("");
  CHECK_EQ(weft_queue_get(qu, &it), 0); /* wakes a */
  CHECK_EQ(PI(it), '1');
  CHECK_EQ(weft_cancel(t[0]), 0); /* a woken then cancelled: room to b */
  CHECK_EQ(finish(t[0]), -ECANCELED);
  CHECK_EQ(finish(t[1]), 0);
  TRACE_IS("b");
  CHECK_EQ(weft_cancel(t[2]), 0);
  CHECK_EQ(finish(t[2]), -ECANCELED);
  drain_into_trace();
  TRACE_IS("2b");

  /* A get cancelled as its item arrives loses no item. */
  for (int i = 0; i < 2; i++)
    spawn(&t[i], q_getter, IP('A' + i));
  settle(2);
  CHECK_EQ(weft_queue_put(qu, IP('x')), 0); /* wakes A */
  CHECK_EQ(weft_cancel(t[0]), 0);           /* A passes it to B */
  CHECK_EQ(finish(t[0]), -ECANCELED);
  CHECK_EQ(finish(t[1]), 0);
  TRACE_IS("Bx");

  /* task_done and join: four items were put. */
  weft_task *j;
  spawn(&j, q_joiner, NULL);
  settle(2);
  for (int i = 0; i < 4; i++) {
    CHECK_EQ(weft_task_state_of(j), WEFT_TASK_PENDING);
    CHECK_EQ(weft_queue_task_done(qu), 0);
  }
  CHECK_EQ(weft_queue_task_done(qu), -EOVERFLOW);
  CHECK_EQ(finish(j), 0);
  TRACE_IS("J");
  CHECK_EQ(weft_queue_join(qu), 0); /* nothing pending: no wait */

  /* close: waiting getters and later puts fail, gets drain first. */
  spawn(&t[0], q_getter, IP('G'));
  settle(2);
  weft_queue_close(qu);
  CHECK_EQ(finish(t[0]), -EPIPE);
  CHECK_EQ(weft_queue_put(qu, IP('z')), -EPIPE);
  CHECK_EQ(weft_queue_try_put(qu, IP('z')), -EPIPE);
  CHECK_EQ(weft_queue_free(qu), 0);
  CHECK_EQ(weft_queue_new(&qu, WEFT_QUEUE_FIFO, 1), 0);
  CHECK_EQ(weft_queue_put(qu, IP('k')), 0);
  spawn(&t[0], q_putter, IP('P'));
  settle(2);
  weft_queue_close(qu);
  CHECK_EQ(finish(t[0]), -EPIPE); /* a waiting putter fails */
  CHECK_EQ(weft_queue_get(qu, &it), 0);
  CHECK_EQ(PI(it), 'k');
  CHECK_EQ(weft_queue_get(qu, &it), -EPIPE);
  CHECK_EQ(weft_queue_try_get(qu, &it), -EPIPE);
  CHECK_EQ(weft_queue_free(qu), 0);
  TRACE_IS("");
  return 0;
}

/* ---- oneshot ---- */
static weft_oneshot *os;
static int os_recv(void *arg, void **r) {
  (void)arg, (void)r;
  void *v;
  int rc = weft_oneshot_recv(os, &v);
  if (rc == 0)
    note((char)PI(v));
  return rc;
}

static int t_oneshot(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_oneshot_new(&os), 0);
  void *v;
  CHECK_EQ(weft_oneshot_try_recv(os, &v), -EAGAIN);
  weft_task *t;
  spawn(&t, os_recv, NULL);
  settle(2);
  CHECK_EQ(weft_oneshot_free(os), -EBUSY);
  CHECK_EQ(weft_oneshot_send(os, IP('v')), 0);
  CHECK_EQ(weft_cancel(t), 0); /* woken, cancelled: the value stays */
  CHECK_EQ(finish(t), -ECANCELED);
  CHECK_EQ(weft_oneshot_send(os, IP('w')), -EALREADY);
  spawn(&t, os_recv, NULL);
  CHECK_EQ(finish(t), 0);
  TRACE_IS("v");
  CHECK_EQ(weft_oneshot_recv(os, &v), -EALREADY);
  CHECK_EQ(weft_oneshot_free(os), 0);
  CHECK_EQ(weft_oneshot_new(&os), 0);
  spawn(&t, os_recv, NULL);
  settle(2);
  weft_oneshot_close(os);
  CHECK_EQ(finish(t), -EPIPE);
  CHECK_EQ(weft_oneshot_send(os, IP('v')), -EPIPE);
  CHECK_EQ(weft_oneshot_free(os), 0);
  return 0;
}

/* ---- Barrier ---- */
static weft_barrier *bar;
static int bar_party(void *arg, void **r) {
  (void)arg, (void)r;
  int rc = weft_barrier_wait(bar);
  if (rc >= 0)
    note((char)('0' + rc));
  return rc < 0 ? rc : 0;
}

static int t_barrier(void *a, void **r) {
  (void)a, (void)r;
  CHECK_EQ(weft_barrier_new(&bar, 0), -EINVAL);
  CHECK_EQ(weft_barrier_new(&bar, 3), 0);
  weft_task *t[4];
  for (int i = 0; i < 2; i++)
    spawn(&t[i], bar_party, NULL);
  settle(2);
  CHECK_EQ(weft_barrier_n_waiting(bar), 2);
  CHECK_EQ(weft_barrier_free(bar), -EBUSY);
  CHECK_EQ(weft_cancel(t[1]), 0); /* leaves before the barrier fills */
  CHECK_EQ(finish(t[1]), -ECANCELED);
  CHECK_EQ(weft_barrier_n_waiting(bar), 1);
  spawn(&t[1], bar_party, NULL);
  settle(2);
  CHECK_EQ(weft_barrier_wait(bar), 2); /* the last: does not wait */
  CHECK_EQ(finish(t[0]), 0);
  CHECK_EQ(finish(t[1]), 0);
  TRACE_IS("01");
  CHECK_EQ(weft_barrier_n_waiting(bar), 0);
  spawn(&t[0], bar_party, NULL);
  settle(2);
  weft_barrier_abort(bar);
  CHECK_EQ(finish(t[0]), -EPIPE);
  CHECK(weft_barrier_broken(bar));
  CHECK_EQ(weft_barrier_wait(bar), -EPIPE);
  weft_barrier_reset(bar);
  CHECK(!weft_barrier_broken(bar));
  for (int i = 0; i < 2; i++)
    spawn(&t[i], bar_party, NULL);
  settle(2);
  CHECK_EQ(weft_barrier_wait(bar), 2);
  CHECK_EQ(finish(t[0]), 0);
  CHECK_EQ(finish(t[1]), 0);
  TRACE_IS("01");
  CHECK_EQ(weft_barrier_free(bar), 0);
  return 0;
}

/* Outside a task: the waiting forms say -EPERM, the others work. */
static void outside(void) {
  weft_lock *l;
  CHECK_EQ(weft_lock_new(&l), 0);
  CHECK_EQ(weft_lock_acquire(l), -EPERM);
  CHECK_EQ(weft_lock_release(l), -EPERM);
  CHECK_EQ(weft_lock_free(l), 0);
  weft_event *e;
  CHECK_EQ(weft_event_new(&e), 0);
  CHECK_EQ(weft_event_wait(e), -EPERM);
  weft_event_set(e);
  CHECK_EQ(weft_event_wait(e), 0);
  CHECK_EQ(weft_event_free(e), 0);
  weft_queue *q;
  CHECK_EQ(weft_queue_new(&q, WEFT_QUEUE_FIFO, 1), 0);
  void *it;
  CHECK_EQ(weft_queue_get(q, &it), -EPERM);
  CHECK_EQ(weft_queue_put(q, IP(1)), 0);
  CHECK_EQ(weft_queue_put(q, IP(2)), -EPERM);
  CHECK_EQ(weft_queue_free(q), 0);
}

int main(void) {
  outside();
  RUN(t_event);
  RUN(t_lock);
  RUN(t_sem);
  RUN(t_cond);
  RUN(t_queue);
  RUN(t_oneshot);
  RUN(t_barrier);
  return 0;
}
