/* Mirrors cancel_gather.py: cancelling a task blocked in gather cancels the
 * gathered tasks at once; the gathering task sees -ECANCELED once they have
 * all finished their clean-up. */
#include "conformance.h"

#include <errno.h>

static int child(void *arg, void **result) {
  (void)result;
  const char *name = arg;
  int rc = weft_sleep_ms(10000);
  if (rc == 0) {
    printf("%s: done\n", name);
    return 0;
  }
  printf("%s: cancelled\n", name);
  CHECK(weft_yield());
  printf("%s: cleaned up\n", name);
  return rc;
}

static int gatherer(void *arg, void **result) {
  (void)result;
  int rc = weft_gather(arg, 2, NULL, NULL, 0);
  if (rc == -ECANCELED)
    printf("gatherer: CancelledError\n");
  return rc;
}

static int ticker(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 5; i++) {
    printf("ticker: %d\n", i);
    CHECK(weft_yield());
  }
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t[2], *g, *tk;
  CHECK(weft_spawn(&t[0], child, "a"));
  CHECK(weft_spawn(&t[1], child, "b"));
  CHECK(weft_spawn(&g, gatherer, t));
  CHECK(weft_yield());
  CHECK(weft_spawn(&tk, ticker, NULL));
  printf("main: cancel gatherer: %s\n", PYBOOL(weft_cancel(g) == 0));
  if (weft_await(g, NULL) == -ECANCELED)
    printf("main: gatherer cancelled: %s\n",
           PYBOOL(weft_task_state_of(g) == WEFT_TASK_CANCELLED));
  printf("main: children cancelled: [%s, %s]\n",
         PYBOOL(weft_task_state_of(t[0]) == WEFT_TASK_CANCELLED),
         PYBOOL(weft_task_state_of(t[1]) == WEFT_TASK_CANCELLED));
  CHECK(weft_await(tk, NULL));
  for (int i = 0; i < 2; i++)
    weft_detach(t[i]);
  weft_detach(g);
  weft_detach(tk);
  return 0;
}

int main(void) {
  return conformance_run(main_task);
}
