/* Mirrors gather_order.py: tasks finish in deadline order (b, c, a), gather
 * returns their results in argument order. */
#include "conformance.h"

struct work {
  const char *name;
  int ms, value;
};

static int work(void *arg, void **result) {
  struct work *w = arg;
  printf("%s: start, sleep %d ms\n", w->name, w->ms);
  CHECK(weft_sleep_ms(w->ms));
  printf("%s: done\n", w->name);
  *result = INT_RESULT(w->value);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  struct work works[] = {{"a", 30, 1}, {"b", 10, 2}, {"c", 20, 3}};
  weft_task *tasks[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&tasks[i], work, &works[i]));
  printf("main: tasks created\n");
  void *results[3];
  CHECK(weft_gather(tasks, 3, results, NULL, 0));
  printf("main: results=[%d, %d, %d]\n", RESULT_INT(results[0]),
         RESULT_INT(results[1]), RESULT_INT(results[2]));
  for (int i = 0; i < 3; i++)
    weft_detach(tasks[i]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
