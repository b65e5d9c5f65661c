/* Mirrors create_task_no_await.py (seed 000): the main task spawns two tasks
 * and returns without awaiting them. They still run: asyncio stops its loop
 * one round after main finishes, and they were queued before that. */
#include "conformance.h"

struct ab {
  int a, b;
};

static int add_ab(void *arg, void **result) {
  (void)result;
  struct ab *p = arg;
  printf("a+b=%d\n", p->a + p->b);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  static struct ab args[] = {{2, 3}, {3, 4}}; /* outlive main_task */
  for (int i = 0; i < 2; i++) {
    weft_task *t;
    CHECK(weft_spawn(&t, add_ab, &args[i]));
    weft_detach(t);
  }
  return 0;
}

int main(void) { return conformance_run(main_task); }
