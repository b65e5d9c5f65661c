/* Mirrors await_done_no_yield.py: awaiting a finished task does not yield,
 * so "other", ready before main awaits, does not run in between. */
#include "conformance.h"

static int quick(void *arg, void **result) {
  (void)arg;
  printf("quick runs\n");
  *result = INT_RESULT(7);
  return 0;
}

static int other(void *arg, void **result) {
  (void)arg, (void)result;
  printf("other runs\n");
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t, *o;
  CHECK(weft_spawn(&t, quick, NULL));
  CHECK(weft_yield());
  printf("main: quick done: %s\n",
         PYBOOL(weft_task_state_of(t) == WEFT_TASK_DONE));
  CHECK(weft_spawn(&o, other, NULL));
  printf("main: before await\n");
  void *r;
  CHECK(weft_await(t, &r));
  printf("main: after await, got %d\n", RESULT_INT(r));
  CHECK(weft_await(o, NULL));
  printf("main: done\n");
  weft_detach(t);
  weft_detach(o);
  return 0;
}

int main(void) { return conformance_run(main_task); }
