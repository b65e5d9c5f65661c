/* Mirrors fifo_spawn.py: tasks spawned in a row run in spawn order, and only
 * once the spawner suspends. */
#include "conformance.h"

static int child(void *arg, void **result) {
  (void)result;
  printf("child %d\n", RESULT_INT(arg));
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tasks[5];
  for (int i = 0; i < 5; i++)
    CHECK(weft_spawn(&tasks[i], child, INT_RESULT(i)));
  printf("main: created 5 tasks\n");
  for (int i = 0; i < 5; i++) {
    CHECK(weft_await(tasks[i], NULL));
    weft_detach(tasks[i]);
  }
  printf("main: done\n");
  return 0;
}

int main(void) { return conformance_run(main_task); }
