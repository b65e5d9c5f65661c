/* Mirrors cancel_before_start.py: a task cancelled before its first run
 * never enters its function; cancelling a finished task does nothing
 * (-EALREADY, task.cancel() returning False). */
#include "conformance.h"

#include <errno.h>

static int never(void *arg, void **result) {
  (void)arg, (void)result;
  printf("never printed\n");
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK(weft_spawn(&t, never, NULL));
  printf("cancel returned %s\n", PYBOOL(weft_cancel(t) == 0));
  if (weft_await(t, NULL) == -ECANCELED)
    printf("await raised CancelledError\n");
  printf("cancelled: %s\n",
         PYBOOL(weft_task_state_of(t) == WEFT_TASK_CANCELLED));
  printf("cancel again returned %s\n", PYBOOL(weft_cancel(t) == 0));
  weft_detach(t);
  return 0;
}

int main(void) { return conformance_run(main_task); }
