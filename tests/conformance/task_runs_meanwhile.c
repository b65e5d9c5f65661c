/* Mirrors task_runs_meanwhile.py (seed 003): a spawned task starts as soon
 * as its spawner suspends, runs while the spawner does other things, and is
 * collected later. */
#include "conformance.h"

static int work(void *arg, void **result) {
  int n = RESULT_INT(arg);
  printf("work(%d) starts\n", n);
  CHECK(weft_sleep_ms(40));
  printf("work(%d) ends\n", n);
  *result = INT_RESULT(n * 2);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK(weft_spawn(&t, work, INT_RESULT(10))); /* starts running now */
  printf("main: task created\n");
  CHECK(weft_sleep_ms(20)); /* do other things meanwhile */
  printf("main: slept\n");
  void *r;
  CHECK(weft_await(t, &r)); /* collect the result later */
  printf("%d\n", RESULT_INT(r));
  weft_detach(t);
  return 0;
}

int main(void) { return conformance_run(main_task); }
