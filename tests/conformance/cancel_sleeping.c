/* Mirrors cancel_sleeping.py: a cancelled task's sleep returns -ECANCELED.
 * Returning that code makes the task cancelled; returning 0 with a result
 * (swallowing the cancellation) makes it done with that result. */
#include "conformance.h"

#include <errno.h>

static int sleeper(void *arg, void **result) {
  (void)arg, (void)result;
  printf("sleeper: sleeping\n");
  int rc = weft_sleep_ms(10000);
  if (rc == -ECANCELED)
    printf("sleeper: got CancelledError, cleaning up\n");
  return rc;
}

static int stubborn(void *arg, void **result) {
  (void)arg;
  printf("stubborn: sleeping\n");
  int rc = weft_sleep_ms(10000);
  if (rc == -ECANCELED)
    printf("stubborn: swallowed CancelledError\n");
  *result = INT_RESULT(42);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t, *s;
  CHECK(weft_spawn(&t, sleeper, NULL));
  CHECK(weft_spawn(&s, stubborn, NULL));
  CHECK(weft_yield());
  printf("main: cancel returned %s\n", PYBOOL(weft_cancel(t) == 0));
  if (weft_await(t, NULL) == -ECANCELED)
    printf("main: await raised CancelledError\n");
  printf("main: sleeper cancelled: %s\n",
         PYBOOL(weft_task_state_of(t) == WEFT_TASK_CANCELLED));
  CHECK(weft_cancel(s));
  void *r;
  CHECK(weft_await(s, &r));
  printf("main: stubborn returned %d, cancelled: %s\n", RESULT_INT(r),
         PYBOOL(weft_task_state_of(s) == WEFT_TASK_CANCELLED));
  weft_detach(t);
  weft_detach(s);
  return 0;
}

int main(void) { return conformance_run(main_task); }
