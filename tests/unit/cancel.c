/* Cancellation (DESIGN 1): delivered once at the current or next suspension
 * point; never entering a task cancelled before it ran; the final status;
 * cancelling a finished task; awaiting tasks pass it on, as in asyncio;
 * shutdown cancels what is left. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

static int entered;

static int mark_entered(void *arg, void **result) {
  (void)arg, (void)result;
  entered++;
  return 0;
}

static int t_before_first_run(void *arg, void **result) {
  (void)arg, (void)result;
  entered = 0;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, mark_entered, NULL), 0);
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_cancel(t), 0); /* a second request is the same request */
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  CHECK_EQ(entered, 0);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_CANCELLED);
  CHECK_EQ(weft_cancel(t), -EALREADY); /* finished: does nothing */
  weft_detach(t);
  return 0;
}

static int sleep_long(void *arg, void **result) {
  (void)arg, (void)result;
  return weft_sleep_ms(10000);
}

static int t_while_sleeping(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, sleep_long, NULL), 0);
  CHECK_EQ(weft_sleep_ms(1), 0);
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_cancel(t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  CHECK(weft_now_ns() - t0 < 1000000000); /* did not sleep 10 s */
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_CANCELLED);
  weft_detach(t);
  return 0;
}

/* Catches the cancellation, cleans up (suspending again), returns a result
 * of its own: the task then counts as done, as in asyncio. */
static int cleaner(void *arg, void **result) {
  int *steps = arg;
  int rc = weft_sleep_ms(10000);
  CHECK_EQ(rc, -ECANCELED);
  (*steps)++;
  CHECK_EQ(weft_sleep_ms(1), 0); /* delivered once: this sleep completes */
  CHECK_EQ(weft_yield(), 0);
  (*steps)++;
  *result = (void *)(intptr_t)5;
  return 0;
}

static int t_catch_and_clean_up(void *arg, void **result) {
  (void)arg, (void)result;
  int steps = 0;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, cleaner, &steps), 0);
  CHECK_EQ(weft_yield(), 0);
  CHECK_EQ(weft_cancel(t), 0);
  void *r = NULL;
  CHECK_EQ(weft_await(t, &r), 0);
  CHECK_EQ((intptr_t)r, 5);
  CHECK_EQ(steps, 2);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_DONE);
  weft_detach(t);
  return 0;
}

/* A cancellation that arrives while the task runs is delivered at its next
 * suspension point. */
static int busy_then_yield(void *arg, void **result) {
  weft_task **self_slot = arg;
  (void)result;
  CHECK_EQ(weft_cancel(*self_slot), 0); /* cancel ourselves while running */
  CHECK_EQ(weft_yield(), -ECANCELED);
  CHECK_EQ(weft_yield(), 0);
  return -ECANCELED;
}

static int t_next_suspension(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, busy_then_yield, &t), 0);
  CHECK_EQ(weft_await(t, NULL), -ECANCELED);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_CANCELLED);
  weft_detach(t);
  return 0;
}

/* asyncio: cancelling a task that awaits another cancels the other too. */
static int awaiter(void *arg, void **result) {
  (void)result;
  weft_task *inner = arg;
  return weft_await(inner, NULL);
}

static int t_while_awaiting(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *inner, *outer;
  CHECK_EQ(weft_spawn(&inner, sleep_long, NULL), 0);
  CHECK_EQ(weft_spawn(&outer, awaiter, inner), 0);
  CHECK_EQ(weft_sleep_ms(1), 0);
  CHECK_EQ(weft_cancel(outer), 0);
  CHECK_EQ(weft_await(outer, NULL), -ECANCELED);
  CHECK_EQ(weft_task_state_of(inner), WEFT_TASK_CANCELLED);
  weft_detach(inner);
  weft_detach(outer);
  return 0;
}

/* A cancel that reaches an awaiter after the task it awaits has finished
 * cancelled, before the awaiter resumes, is one request: the await
 * delivers it, and the next suspension does not deliver it again (asyncio
 * throws CancelledError into the await once; _must_cancel is cleared). */
static int after_await_rc = 1;
static int await_then_yield(void *arg, void **result) {
  (void)result;
  weft_task *inner = arg;
  int rc = weft_await(inner, NULL);
  after_await_rc = weft_yield();
  return rc;
}

static int t_awaited_finished_first(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *inner, *outer;
  CHECK_EQ(weft_spawn(&inner, sleep_long, NULL), 0);
  CHECK_EQ(weft_spawn(&outer, await_then_yield, inner), 0);
  CHECK_EQ(weft_yield(), 0); /* inner sleeps, outer awaits it */
  CHECK_EQ(weft_cancel(inner), 0);
  CHECK_EQ(weft_yield(), 0); /* inner finishes cancelled; outer is queued */
  CHECK_EQ(weft_task_state_of(inner), WEFT_TASK_CANCELLED);
  /* The forward finds inner finished, so the request stays outer's. */
  CHECK_EQ(weft_cancel(outer), 0);
  CHECK_EQ(weft_await(outer, NULL), -ECANCELED);
  CHECK_EQ(after_await_rc, 0); /* delivered once */
  weft_detach(inner);
  weft_detach(outer);
  return 0;
}

/* Shutdown (asyncio.run): tasks left running when main returns are
 * cancelled and may clean up. */
static int cleaned_up;
static int left_running(void *arg, void **result) {
  (void)arg, (void)result;
  int rc = weft_sleep_ms(10000);
  if (rc == -ECANCELED)
    cleaned_up++;
  return rc;
}

static int t_main_leaves_tasks(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 3; i++) {
    weft_task *t;
    CHECK_EQ(weft_spawn(&t, left_running, NULL), 0);
    weft_detach(t);
  }
  return weft_sleep_ms(1);
}

/* A straggler that ignores cancellation is reported after the grace
 * period and abandoned, not waited on forever. */
static int stubborn(void *arg, void **result) {
  (void)arg, (void)result;
  for (;;)
    weft_sleep_ms(5); /* ignores -ECANCELED */
  return 0;
}

static int t_straggler(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  weft_spawn_opts o = {.name = "stubborn"};
  CHECK_EQ(weft_spawn_opt(&t, stubborn, NULL, &o), 0);
  weft_detach(t);
  return 0;
}

int main(void) {
  RUN(t_before_first_run);
  RUN(t_while_sleeping);
  RUN(t_catch_and_clean_up);
  RUN(t_next_suspension);
  RUN(t_while_awaiting);
  RUN(t_awaited_finished_first);
  cleaned_up = 0;
  RUN(t_main_leaves_tasks);
  CHECK_EQ(cleaned_up, 3);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.shutdown_grace = 0.05;
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_run(&cfg, t_straggler, NULL, NULL), 0);
  CHECK(weft_now_ns() - t0 < 2000000000);
  fprintf(stderr, "cancel: all passed\n");
  return 0;
}
