/* Mirrors await_task_hop.py: a finished task wakes its awaiter one round of
 * the loop later; a ticker that yields every round shows when main resumes. */
#include "conformance.h"

static int ticker(void *arg, void **result) {
  (void)result;
  int n = RESULT_INT(arg);
  for (int i = 0; i < n; i++) {
    printf("tick %d\n", i);
    CHECK(weft_yield());
  }
  return 0;
}

static int short_task(void *arg, void **result) {
  (void)arg;
  printf("short: start\n");
  CHECK(weft_yield());
  printf("short: end\n");
  *result = INT_RESULT(1);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tk, *t;
  CHECK(weft_spawn(&tk, ticker, INT_RESULT(6)));
  CHECK(weft_spawn(&t, short_task, NULL));
  void *r;
  CHECK(weft_await(t, &r));
  printf("main: got %d\n", RESULT_INT(r));
  CHECK(weft_await(tk, NULL));
  printf("main: done\n");
  weft_detach(tk);
  weft_detach(t);
  return 0;
}

int main(void) { return conformance_run(main_task); }
