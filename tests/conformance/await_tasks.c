/* Mirrors await_tasks.py (seed 001): awaiting a task yields, and the ready
 * tasks run in creation order, so task_b (created first) prints first. */
#include "conformance.h"

static int coro_a(void *arg, void **result) {
  (void)arg, (void)result;
  printf("I am coro_a(). Hi!\n");
  return 0;
}

static int coro_b(void *arg, void **result) {
  (void)arg, (void)result;
  printf("I am coro_b(). I sure hope no one hogs the event loop...\n");
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *task_b, *tasks_a[3];
  CHECK(weft_spawn(&task_b, coro_b, NULL));
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&tasks_a[i], coro_a, NULL));
  for (int i = 0; i < 3; i++) {
    CHECK(weft_await(tasks_a[i], NULL));
    weft_detach(tasks_a[i]);
  }
  CHECK(weft_await(task_b, NULL));
  weft_detach(task_b);
  return 0;
}

int main(void) { return conformance_run(main_task); }
