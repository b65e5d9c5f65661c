/* Mirrors sync_event_order.py: set wakes the waiters in order; one
 * cancelled after the set does not stop the others; clear makes new
 * waiters wait. */
#include <errno.h>

#include "conformance.h"

static weft_event *ev;

static int waiter(void *arg, void **result) {
  (void)result;
  int rc = weft_event_wait(ev);
  if (rc)
    return rc;
  printf("%s woke\n", (const char *)arg);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  CHECK(weft_event_new(&ev));
  static const char *names[] = {"a", "b", "c", "d"};
  weft_task *ts[4];
  for (int i = 0; i < 4; i++)
    CHECK(weft_spawn(&ts[i], waiter, (void *)names[i]));
  CHECK(weft_yield());
  printf("setting\n");
  weft_event_set(ev);
  CHECK(weft_cancel(ts[1]));
  CHECK(weft_gather(ts, 4, NULL, NULL, WEFT_GATHER_ALL));
  printf("cancelled: [");
  for (int i = 0; i < 4; i++)
    printf("%s%s", i ? ", " : "",
           PYBOOL(weft_task_state_of(ts[i]) == WEFT_TASK_CANCELLED));
  printf("]\n");
  for (int i = 0; i < 4; i++)
    weft_detach(ts[i]);
  weft_event_clear(ev);
  weft_task *t;
  CHECK(weft_spawn(&t, waiter, "e"));
  CHECK(weft_yield());
  printf("e waiting: %s\n", PYBOOL(weft_task_state_of(t) == WEFT_TASK_PENDING));
  weft_event_set(ev);
  CHECK(weft_await(t, NULL));
  weft_detach(t);
  printf("is_set: %s\n", PYBOOL(weft_event_is_set(ev)));
  CHECK(weft_event_free(ev));
  return 0;
}

int main(void) { return conformance_run(main_task); }
