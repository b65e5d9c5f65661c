/* Mirrors wait_first_completed.py: weft_wait with WEFT_FIRST_COMPLETED
 * returns once one task is done, the others run on; a wait whose task has
 * already finished still takes asyncio's loop hops (the ticker shows them). */
#include "conformance.h"

#include <stdbool.h>

static int job(void *arg, void **result) {
  const char *name = arg;
  int ms = name[0] == 'a' ? 300 : name[0] == 'b' ? 100 : 200;
  CHECK(weft_sleep_ms(ms));
  printf("%s done\n", name);
  *result = arg;
  return 0;
}

static int ticker(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 4; i++) {
    printf("tick %d\n", i);
    CHECK(weft_yield());
  }
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  static const char *names[3] = {"a", "b", "c"};
  weft_task *t[3], *tk;
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&t[i], job, (void *)names[i]));
  bool done[3];
  int n = weft_wait(t, 3, WEFT_FIRST_COMPLETED, done);
  CHECK(n);
  printf("first: [");
  for (int i = 0, k = 0; i < 3; i++)
    if (done[i]) {
      void *r;
      CHECK(weft_await(t[i], &r));
      printf("%s'%s'", k++ ? ", " : "", (const char *)r);
    }
  printf("] pending: %d\n", 3 - n);
  CHECK(weft_spawn(&tk, ticker, NULL));
  n = weft_wait(t, 3, WEFT_FIRST_COMPLETED, done);
  CHECK(n);
  printf("again at once: %d done, %d pending\n", n, 3 - n);
  n = weft_wait(t, 3, WEFT_ALL_COMPLETED, done);
  CHECK(n);
  printf("all: [");
  for (int i = 0; i < 3; i++) {
    void *r;
    CHECK(weft_await(t[i], &r));
    printf("%s'%s'", i ? ", " : "", (const char *)r);
  }
  printf("] pending: %d\n", 3 - n);
  CHECK(weft_await(tk, NULL));
  for (int i = 0; i < 3; i++)
    weft_detach(t[i]);
  weft_detach(tk);
  return 0;
}

int main(void) { return conformance_run(main_task); }
