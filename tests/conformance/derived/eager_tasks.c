/* Mirrors eager_tasks.py, a derived case (see README): an eager
 * spawn runs the task at once until its first suspension; a task that never
 * suspends is done before weft_spawn returns, ahead of a lazy task queued
 * earlier. Python sets eager_task_factory after creating the ticker; here
 * the spawns after that point pass weft_spawn_opts.eager. */
#include "../conformance.h"

#include <stdbool.h>

static int ticker(void *arg, void **result) {
  (void)result;
  int n = RESULT_INT(arg);
  for (int i = 0; i < n; i++) {
    printf("tick %d\n", i);
    CHECK(weft_yield());
  }
  return 0;
}

static int quick(void *arg, void **result) {
  printf("%s runs at once\n", (const char *)arg);
  *result = arg;
  return 0;
}

static int slow(void *arg, void **result) {
  printf("%s starts at once\n", (const char *)arg);
  CHECK(weft_yield());
  printf("%s resumes later\n", (const char *)arg);
  *result = arg;
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tk, *q, *s;
  CHECK(weft_spawn(&tk, ticker, INT_RESULT(3))); /* lazy: queued */
  weft_spawn_opts eager = {.eager = true};
  printf("main: creating q\n");
  CHECK(weft_spawn_opt(&q, quick, "q", &eager));
  printf("main: q done already: %s\n",
         PYBOOL(weft_task_state_of(q) == WEFT_TASK_DONE));
  CHECK(weft_spawn_opt(&s, slow, "s", &eager));
  printf("main: s done already: %s\n",
         PYBOOL(weft_task_state_of(s) == WEFT_TASK_DONE));
  void *r;
  CHECK(weft_await(q, &r));
  printf("main: got %s\n", (const char *)r);
  CHECK(weft_await(s, &r));
  printf("main: got %s\n", (const char *)r);
  CHECK(weft_await(tk, NULL));
  weft_detach(tk);
  weft_detach(q);
  weft_detach(s);
  return 0;
}

int main(void) { return conformance_run(main_task); }
