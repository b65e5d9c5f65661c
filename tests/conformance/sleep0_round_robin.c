/* Mirrors sleep0_round_robin.py: weft_yield() (sleep(0)) moves a task to the
 * back of the ready queue, so three tasks interleave A B C, A B C, A B C. */
#include "conformance.h"

static int worker(void *arg, void **result) {
  (void)result;
  const char *name = arg;
  for (int i = 0; i < 3; i++) {
    printf("%s %d\n", name, i);
    CHECK(weft_yield());
  }
  printf("%s done\n", name);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  const char *names[] = {"A", "B", "C"};
  weft_task *tasks[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&tasks[i], worker, (void *)names[i]));
  CHECK(weft_gather(tasks, 3, NULL, NULL, 0));
  printf("main done\n");
  for (int i = 0; i < 3; i++)
    weft_detach(tasks[i]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
