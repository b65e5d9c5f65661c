/* Mirrors cancel_awaiting.py: cancelling a task that awaits another cancels
 * the other at once, so its clean-up runs before tasks queued after the
 * cancel; the awaiting task sees -ECANCELED once the other has finished. */
#include "conformance.h"

#include <errno.h>

static int inner(void *arg, void **result) {
  (void)arg, (void)result;
  int rc = weft_sleep_ms(10000);
  if (rc == -ECANCELED)
    printf("inner: cancelled, cleaning up\n");
  return rc;
}

static int outer(void *arg, void **result) {
  (void)result;
  int rc = weft_await(arg, NULL);
  if (rc == -ECANCELED)
    printf("outer: await raised CancelledError\n");
  return rc;
}

static int bystander(void *arg, void **result) {
  (void)arg, (void)result;
  printf("bystander: runs\n");
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *ti, *to, *tb;
  CHECK(weft_spawn(&ti, inner, NULL));
  CHECK(weft_spawn(&to, outer, ti));
  CHECK(weft_yield());
  printf("main: cancel outer: %s\n", PYBOOL(weft_cancel(to) == 0));
  CHECK(weft_spawn(&tb, bystander, NULL));
  CHECK(weft_yield());
  printf("main: after one hop\n");
  if (weft_await(to, NULL) == -ECANCELED)
    printf("main: outer cancelled: %s\n",
           PYBOOL(weft_task_state_of(to) == WEFT_TASK_CANCELLED));
  printf("main: inner cancelled: %s\n",
         PYBOOL(weft_task_state_of(ti) == WEFT_TASK_CANCELLED));
  CHECK(weft_await(tb, NULL));
  weft_detach(ti);
  weft_detach(to);
  weft_detach(tb);
  return 0;
}

int main(void) {
  return conformance_run(main_task);
}
