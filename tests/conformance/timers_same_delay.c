/* Mirrors timers_same_delay.py: tasks started in order that sleep for the
 * same time wake in that order. */
#include "conformance.h"

static int sleeper(void *arg, void **result) {
  (void)result;
  int i = RESULT_INT(arg);
  printf("task %d sleeps\n", i);
  CHECK(weft_sleep_ms(20));
  printf("task %d woke\n", i);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tasks[5];
  for (int i = 0; i < 5; i++)
    CHECK(weft_spawn(&tasks[i], sleeper, INT_RESULT(i)));
  for (int i = 0; i < 5; i++) {
    CHECK(weft_await(tasks[i], NULL));
    weft_detach(tasks[i]);
  }
  printf("main done\n");
  return 0;
}

int main(void) { return conformance_run(main_task); }
