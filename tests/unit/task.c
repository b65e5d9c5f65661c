/* Tasks on one worker: spawn, await, results, order, yield, sleep, detach. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

static char trace[256];
static size_t trace_len;
static void note(char c) {
  trace[trace_len++] = c;
  trace[trace_len] = 0;
}

static int ret_arg(void *arg, void **result) {
  *result = arg;
  return 0;
}

static int fail_with(void *arg, void **result) {
  (void)result;
  return -(int)(intptr_t)arg;
}

static int t_spawn_await(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, ret_arg, (void *)(intptr_t)7), 0);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_PENDING);
  void *r = NULL;
  CHECK_EQ(weft_await(t, &r), 0);
  CHECK_EQ((intptr_t)r, 7);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_DONE);
  /* Awaiting again returns the same outcome, as in asyncio. */
  r = NULL;
  CHECK_EQ(weft_await(t, &r), 0);
  CHECK_EQ((intptr_t)r, 7);
  weft_detach(t);

  CHECK_EQ(weft_spawn(&t, fail_with, (void *)(intptr_t)EIO), 0);
  r = (void *)1;
  CHECK_EQ(weft_await(t, &r), -EIO);
  CHECK(r == NULL);
  CHECK_EQ(weft_task_state_of(t), WEFT_TASK_FAILED);
  weft_detach(t);
  return 0;
}

static int noter(void *arg, void **result) {
  (void)result;
  note((char)(intptr_t)arg);
  return 0;
}

/* Lazy FIFO: spawned tasks run in spawn order, after the spawner suspends. */
static int t_fifo(void *arg, void **result) {
  (void)arg, (void)result;
  trace_len = 0;
  weft_task *t[5];
  for (int i = 0; i < 5; i++)
    CHECK_EQ(weft_spawn(&t[i], noter, (void *)(intptr_t)('a' + i)), 0);
  note('M');
  CHECK_EQ(weft_yield(), 0);
  note('m');
  CHECK(strcmp(trace, "Mabcdem") == 0);
  for (int i = 0; i < 5; i++)
    weft_detach(t[i]);
  return 0;
}

/* Awaiting a finished task does not yield: no other task runs meanwhile. */
static int t_await_done_no_yield(void *arg, void **result) {
  (void)arg, (void)result;
  trace_len = 0;
  weft_task *a, *b;
  CHECK_EQ(weft_spawn(&a, noter, (void *)'a'), 0);
  CHECK_EQ(weft_yield(), 0); /* a runs */
  CHECK_EQ(weft_spawn(&b, noter, (void *)'b'), 0);
  note('1');
  CHECK_EQ(weft_await(a, NULL), 0); /* done: b must not run here */
  note('2');
  CHECK_EQ(weft_await(b, NULL), 0);
  CHECK(strcmp(trace, "a12b") == 0);
  weft_detach(a);
  weft_detach(b);
  return 0;
}

static int yielder(void *arg, void **result) {
  (void)result;
  for (int i = 0; i < 3; i++) {
    note((char)(intptr_t)arg);
    CHECK_EQ(weft_yield(), 0);
  }
  return 0;
}

static int t_round_robin(void *arg, void **result) {
  (void)arg, (void)result;
  trace_len = 0;
  weft_task *t[3];
  for (int i = 0; i < 3; i++)
    CHECK_EQ(weft_spawn(&t[i], yielder, (void *)(intptr_t)('x' + i)), 0);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(weft_await(t[i], NULL), 0);
    weft_detach(t[i]);
  }
  CHECK(strcmp(trace, "xyzxyzxyz") == 0);
  return 0;
}

static int sleeper(void *arg, void **result) {
  (void)result;
  intptr_t ms = (intptr_t)arg;
  CHECK_EQ(weft_sleep_ms(ms), 0);
  note((char)('0' + ms / 40));
  return 0;
}

/* Timers fire in deadline order; equal delays fire in arming order; a sleep
 * lasts at least its duration. */
static int t_sleep(void *arg, void **result) {
  (void)arg, (void)result;
  trace_len = 0;
  int64_t t0 = weft_now_ns();
  CHECK_EQ(weft_sleep_ns(3000000), 0);
  CHECK(weft_now_ns() - t0 >= 3000000);
  CHECK(weft_now_ns() - t0 < 1000000000); /* generous functional bound */

  weft_task *t[4];
  /* 40 ms apart: a loaded machine under TSan can pause the worker between
   * two sleepers arming their timers for longer than 10 ms. */
  intptr_t delays[4] = {120, 40, 80, 40};
  for (int i = 0; i < 4; i++)
    CHECK_EQ(weft_spawn(&t[i], sleeper, (void *)delays[i]), 0);
  for (int i = 0; i < 4; i++) {
    CHECK_EQ(weft_await(t[i], NULL), 0);
    weft_detach(t[i]);
  }
  CHECK(strcmp(trace, "1123") == 0);
  CHECK_EQ(weft_sleep_ns(0), 0);
  return 0;
}

/* A detached task runs to its end; the runtime frees it. */
static int t_detach(void *arg, void **result) {
  (void)arg, (void)result;
  trace_len = 0;
  weft_task *t;
  CHECK_EQ(weft_spawn(&t, sleeper, (void *)(intptr_t)40), 0);
  weft_detach(t);
  CHECK_EQ(weft_sleep_ms(300), 0);
  CHECK(strcmp(trace, "1") == 0);
  return 0;
}

static int named(void *arg, void **result) {
  (void)arg, (void)result;
  return 0;
}

static int t_names(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  weft_spawn_opts o = {.name = "worker-a", .stack_size = 128 * 1024};
  CHECK_EQ(weft_spawn_opt(&t, named, NULL, &o), 0);
  CHECK(strcmp(weft_task_name(t), "worker-a") == 0);
  CHECK_EQ(weft_await(t, NULL), 0);
  weft_detach(t);
  CHECK(weft_self() != NULL);
  CHECK(strcmp(weft_task_name(weft_self()), "main") == 0);
  return 0;
}

static int main_result(void *arg, void **result) {
  *result = arg;
  return 0;
}

int main(void) {
  RUN(t_spawn_await);
  RUN(t_fifo);
  RUN(t_await_done_no_yield);
  RUN(t_round_robin);
  RUN(t_sleep);
  RUN(t_detach);
  RUN(t_names);
  void *r = NULL;
  CHECK_EQ(weft_run(NULL, main_result, (void *)99, &r), 0);
  CHECK_EQ((intptr_t)r, 99);
  CHECK_EQ(weft_run(NULL, fail_with, (void *)(intptr_t)ENOENT, NULL), -ENOENT);
  CHECK(weft_self() == NULL);
  fprintf(stderr, "task: all passed\n");
  return 0;
}
