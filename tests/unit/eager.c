/* Eager tasks (CPython 3.12's eager_task_factory): run at once until their
 * first suspension; one that finishes without suspending is never queued. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

static char trace[64];
static size_t n;
static void note(char c) {
  trace[n++] = c;
  trace[n] = 0;
}

static int quick(void *arg, void **result) {
  note('q');
  *result = arg;
  return 0;
}

static int suspends(void *arg, void **result) {
  (void)arg, (void)result;
  note('s');
  CHECK_EQ(weft_yield(), 0);
  note('S');
  return 0;
}

static int lazy(void *arg, void **result) {
  (void)arg, (void)result;
  note('l');
  return 0;
}

static int t_eager(void *arg, void **result) {
  (void)arg, (void)result;
  n = 0;
  weft_task *l, *q, *s;
  weft_spawn_opts eager = {.eager = true};
  CHECK_EQ(weft_spawn(&l, lazy, NULL), 0);
  CHECK_EQ(weft_spawn_opt(&q, quick, (void *)(intptr_t)3, &eager), 0);
  /* Finished before the spawn returned, never queued. */
  CHECK_EQ(weft_task_state_of(q), WEFT_TASK_DONE);
  CHECK_EQ(weft_spawn_opt(&s, suspends, NULL, &eager), 0);
  note('M');
  void *r;
  CHECK_EQ(weft_await(q, &r), 0); /* done: no yield */
  CHECK_EQ((intptr_t)r, 3);
  CHECK_EQ(weft_await(s, NULL), 0);
  /* q and s's first step ran inline; l, queued first, runs before s's
   * second step, which was queued by its yield. */
  CHECK(strcmp(trace, "qsMlS") == 0);
  weft_detach(l);
  weft_detach(q);
  weft_detach(s);
  return 0;
}

static int nested(void *arg, void **result) {
  (void)result;
  intptr_t depth = (intptr_t)arg;
  note((char)('0' + depth));
  if (depth < 3) {
    weft_task *t;
    weft_spawn_opts eager = {.eager = true};
    CHECK_EQ(weft_spawn_opt(&t, nested, (void *)(depth + 1), &eager), 0);
    CHECK_EQ(weft_task_state_of(t), WEFT_TASK_DONE);
    weft_detach(t);
  }
  note((char)('a' + depth));
  return 0;
}

static int t_nested(void *arg, void **result) {
  (void)arg, (void)result;
  n = 0;
  CHECK_EQ(nested((void *)0, NULL), 0);
  CHECK(strcmp(trace, "0123dcba") == 0);
  return 0;
}

static int t_factory(void *arg, void **result) {
  (void)arg, (void)result;
  n = 0;
  weft_task *q;
  CHECK_EQ(weft_spawn(&q, quick, NULL), 0);
  CHECK_EQ(weft_task_state_of(q), WEFT_TASK_DONE); /* the config's factory */
  weft_detach(q);
  return 0;
}

int main(void) {
  RUN(t_eager);
  RUN(t_nested);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.eager_tasks = true;
  CHECK_EQ(weft_run(&cfg, t_factory, NULL, NULL), 0);
  fprintf(stderr, "eager: all passed\n");
  return 0;
}
