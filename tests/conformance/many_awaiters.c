/* Mirrors many_awaiters.py: several tasks await the same task; when it ends
 * they resume in the order they started waiting, one round later. */
#include "conformance.h"

static int target(void *arg, void **result) {
  (void)arg;
  printf("target runs\n");
  CHECK(weft_yield());
  printf("target ends\n");
  *result = INT_RESULT(5);
  return 0;
}

struct waiter {
  const char *name;
  weft_task *t;
};

static int waiter(void *arg, void **result) {
  (void)result;
  struct waiter *w = arg;
  printf("%s awaits\n", w->name);
  void *r;
  CHECK(weft_await(w->t, &r));
  printf("%s got %d\n", w->name, RESULT_INT(r));
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK(weft_spawn(&t, target, NULL));
  struct waiter args[] = {{"w1", t}, {"w2", t}, {"w3", t}};
  weft_task *ws[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&ws[i], waiter, &args[i]));
  for (int i = 0; i < 3; i++) {
    CHECK(weft_await(ws[i], NULL));
    weft_detach(ws[i]);
  }
  printf("main done\n");
  weft_detach(t);
  return 0;
}

int main(void) { return conformance_run(main_task); }
