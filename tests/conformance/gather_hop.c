/* Mirrors gather_hop.py: gather completes two rounds of the loop after its
 * last task ends (asyncio: the child's done callback, then the outer future
 * waking main); a ticker that yields every round shows when main resumes. */
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

static int child(void *arg, void **result) {
  printf("%s runs\n", (const char *)arg);
  *result = arg;
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tk, *ab[2];
  CHECK(weft_spawn(&tk, ticker, INT_RESULT(6)));
  CHECK(weft_spawn(&ab[0], child, "a"));
  CHECK(weft_spawn(&ab[1], child, "b"));
  void *results[2];
  CHECK(weft_gather(ab, 2, results, NULL, 0));
  printf("main: gather returned ['%s', '%s']\n", (const char *)results[0],
         (const char *)results[1]);
  CHECK(weft_await(tk, NULL));
  printf("main: done\n");
  weft_detach(tk);
  weft_detach(ab[0]);
  weft_detach(ab[1]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
