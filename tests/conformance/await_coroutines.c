/* Mirrors await_coroutines.py (seed 001): calling a function from a task
 * (asyncio's `await coro`) does not yield, so task_b prints last. */
#include "conformance.h"

static void coro_a(void) { printf("I am coro_a(). Hi!\n"); }

static int coro_b(void *arg, void **result) {
  (void)arg, (void)result;
  printf("I am coro_b(). I sure hope no one hogs the event loop...\n");
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *task_b;
  CHECK(weft_spawn(&task_b, coro_b, NULL));
  for (int i = 0; i < 3; i++)
    coro_a();
  CHECK(weft_await(task_b, NULL));
  weft_detach(task_b);
  return 0;
}

int main(void) { return conformance_run(main_task); }
