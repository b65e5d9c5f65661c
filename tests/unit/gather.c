/* gather: results in argument order, both error modes, tasks already
 * finished, many tasks, cancellation of the gathering task. */
#include <errno.h>
#include <stdint.h>

#include "check.h"

typedef struct job {
  int ms;
  int code;
  intptr_t value;
} job;

static int run_job(void *arg, void **result) {
  job *j = arg;
  int rc = weft_sleep_ms(j->ms);
  if (rc)
    return rc;
  *result = (void *)j->value;
  return j->code;
}

static int t_order(void *arg, void **result) {
  (void)arg, (void)result;
  job jobs[3] = {{30, 0, 1}, {10, 0, 2}, {20, 0, 3}};
  weft_task *t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  void *r[3];
  int st[3];
  CHECK_EQ(weft_gather(t, 3, r, st, 0), 0);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ((intptr_t)r[i], i + 1);
    CHECK_EQ(st[i], 0);
    weft_detach(t[i]);
  }
  return 0;
}

/* Stop at the first failure (in finishing order); the others keep going. */
static int t_first_error(void *arg, void **result) {
  (void)arg, (void)result;
  job jobs[3] = {{40, 0, 1}, {20, -EIO, 2}, {10, -ENOENT, 3}};
  weft_task *t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  int st[3];
  CHECK_EQ(weft_gather(t, 3, NULL, st, 0), -ENOENT);
  CHECK_EQ(st[2], -ENOENT);
  CHECK_EQ(st[0], -EINPROGRESS);
  CHECK_EQ(weft_task_state_of(t[0]), WEFT_TASK_PENDING);
  CHECK_EQ(weft_await(t[0], NULL), 0); /* not cancelled */
  CHECK_EQ(weft_await(t[1], NULL), -EIO);
  for (int i = 0; i < 3; i++)
    weft_detach(t[i]);
  return 0;
}

static int t_all(void *arg, void **result) {
  (void)arg, (void)result;
  job jobs[3] = {{30, 0, 1}, {10, -EIO, 2}, {20, 0, 3}};
  weft_task *t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  void *r[3];
  int st[3];
  CHECK_EQ(weft_gather(t, 3, r, st, WEFT_GATHER_ALL), 0);
  CHECK_EQ(st[0], 0);
  CHECK_EQ(st[1], -EIO);
  CHECK_EQ(st[2], 0);
  CHECK_EQ((intptr_t)r[0], 1);
  CHECK(r[1] == NULL);
  CHECK_EQ((intptr_t)r[2], 3);
  for (int i = 0; i < 3; i++)
    weft_detach(t[i]);
  return 0;
}

static int t_already_done_and_many(void *arg, void **result) {
  (void)arg, (void)result;
#if defined(__SANITIZE_THREAD__)
  enum { N = 300 }; /* TSan makes a shadow state per live task, slowly */
#else
  enum { N = 2000 };
#endif
  static weft_task *t[N];
  static job jobs[N];
  for (int i = 0; i < N; i++) {
    jobs[i] = (job){i % 3, 0, i};
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  }
  CHECK_EQ(weft_sleep_ms(1), 0); /* some finish before the gather */
  static void *r[N];
  CHECK_EQ(weft_gather(t, N, r, NULL, 0), 0);
  for (int i = 0; i < N; i++)
    CHECK_EQ((intptr_t)r[i], i);
  /* All finished: gather again returns the same without waiting. */
  CHECK_EQ(weft_gather(t, N, r, NULL, WEFT_GATHER_ALL), 0);
  for (int i = 0; i < N; i++)
    weft_detach(t[i]);
  return 0;
}

static int gatherer(void *arg, void **result) {
  (void)result;
  weft_task **t = arg;
  int st[2];
  return weft_gather(t, 2, NULL, st, 0);
}

/* Cancelling the gathering task cancels the gathered ones (asyncio). */
static int t_cancel_gatherer(void *arg, void **result) {
  (void)arg, (void)result;
  job jobs[2] = {{10000, 0, 1}, {10000, 0, 2}};
  weft_task *t[2], *g;
  for (int i = 0; i < 2; i++)
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  CHECK_EQ(weft_spawn(&g, gatherer, t), 0);
  CHECK_EQ(weft_sleep_ms(1), 0);
  CHECK_EQ(weft_cancel(g), 0);
  CHECK_EQ(weft_await(g, NULL), -ECANCELED);
  CHECK_EQ(weft_task_state_of(t[0]), WEFT_TASK_CANCELLED);
  CHECK_EQ(weft_task_state_of(t[1]), WEFT_TASK_CANCELLED);
  weft_detach(g);
  for (int i = 0; i < 2; i++)
    weft_detach(t[i]);
  return 0;
}

static int t_wait_modes(void *arg, void **result) {
  (void)arg, (void)result;
  /* The slow one far behind the others: under TSan on a loaded machine the
   * wait for the failure can return tens of milliseconds late. */
  job jobs[3] = {{400, 0, 1}, {10, 0, 2}, {20, -EIO, 3}};
  weft_task *t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  size_t first = 99;
  CHECK_EQ(weft_wait_any(t, 3, &first), 0);
  CHECK_EQ(first, 1); /* the 10 ms one */
  bool done[3];
  CHECK_EQ(weft_wait(t, 3, WEFT_FIRST_EXCEPTION, done), 2);
  CHECK(!done[0] && done[1] && done[2]);
  CHECK_EQ(weft_wait(t, 3, WEFT_ALL_COMPLETED, done), 3);
  CHECK(done[0] && done[1] && done[2]);
  /* Already finished: returns, after the same hops asyncio takes. */
  CHECK_EQ(weft_wait(t, 3, WEFT_FIRST_COMPLETED, NULL), 3);
  CHECK_EQ(weft_wait(t, 0, WEFT_FIRST_COMPLETED, NULL), -EINVAL);
  CHECK_EQ(weft_wait(t, 3, (weft_wait_mode)42, NULL), -EINVAL);
  for (int i = 0; i < 3; i++)
    weft_detach(t[i]);
  return 0;
}

static int waiter_task(void *arg, void **result) {
  (void)result;
  weft_task **t = arg;
  return weft_wait(t, 2, WEFT_ALL_COMPLETED, NULL);
}

/* Cancelling a weft_wait leaves the tasks running (asyncio.wait). */
static int t_cancel_wait(void *arg, void **result) {
  (void)arg, (void)result;
  job jobs[2] = {{300, 0, 1}, {300, 0, 2}};
  weft_task *t[2], *w;
  for (int i = 0; i < 2; i++)
    CHECK_EQ(weft_spawn(&t[i], run_job, &jobs[i]), 0);
  CHECK_EQ(weft_spawn(&w, waiter_task, t), 0);
  CHECK_EQ(weft_sleep_ms(1), 0);
  CHECK_EQ(weft_cancel(w), 0);
  CHECK_EQ(weft_await(w, NULL), -ECANCELED);
  CHECK_EQ(weft_task_state_of(t[0]), WEFT_TASK_PENDING);
  void *r[2];
  CHECK_EQ(weft_gather(t, 2, r, NULL, 0), 0);
  CHECK_EQ((intptr_t)r[1], 2);
  weft_detach(w);
  for (int i = 0; i < 2; i++)
    weft_detach(t[i]);
  return 0;
}

int main(void) {
  RUN(t_wait_modes);
  RUN(t_cancel_wait);
  RUN(t_order);
  RUN(t_first_error);
  RUN(t_all);
  RUN(t_already_done_and_many);
  RUN(t_cancel_gatherer);
  fprintf(stderr, "gather: all passed\n");
  return 0;
}
