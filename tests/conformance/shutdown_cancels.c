/* Mirrors shutdown_cancels.py: when the main task returns, weft_run cancels
 * the tasks still pending and waits for them; a sleeping task sees
 * -ECANCELED and can clean up. */
#include "conformance.h"

#include <errno.h>

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  printf("sleeper: start\n");
  int rc = weft_sleep_ms(10000);
  if (rc == -ECANCELED) {
    printf("sleeper: cancelled at shutdown\n");
    return rc;
  }
  printf("sleeper: woke (never printed)\n");
  return rc;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK(weft_spawn(&t, sleeper, NULL));
  weft_detach(t);
  CHECK(weft_yield());
  printf("main: returns\n");
  return 0;
}

int main(void) { return conformance_run(main_task); }
