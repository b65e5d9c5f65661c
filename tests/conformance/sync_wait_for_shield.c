/* Mirrors sync_wait_for_shield.py: wait_for cancels the task it awaits when
 * the time is up; await_shielded lets the awaiting task be cancelled while
 * the shielded task runs on. */
#include <errno.h>

#include "conformance.h"

#define MS 1000000LL

static int slow(void *arg, void **result) {
  (void)arg, (void)result;
  int rc = weft_sleep_ms(1000);
  if (rc == -ECANCELED)
    printf("slow cancelled\n");
  return rc;
}

static int fast(void *arg, void **result) {
  (void)arg;
  CHECK(weft_sleep_ms(10));
  *result = INT_RESULT(42);
  return 0;
}

static int inner(void *arg, void **result) {
  (void)arg;
  CHECK(weft_sleep_ms(100));
  printf("inner done\n");
  *result = INT_RESULT(7);
  return 0;
}

static int outer(void *arg, void **result) {
  int rc = weft_await_shielded(arg, result);
  if (rc == -ECANCELED)
    printf("outer cancelled\n");
  return rc;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t, *o;
  void *r;
  CHECK(weft_spawn(&t, slow, NULL));
  if (weft_wait_for(t, 20 * MS, &r) == -ETIMEDOUT)
    printf("wait_for timed out\n");
  printf("slow cancelled: %s\n",
         PYBOOL(weft_task_state_of(t) == WEFT_TASK_CANCELLED));
  weft_detach(t);
  CHECK(weft_spawn(&t, fast, NULL));
  CHECK(weft_wait_for(t, 1000 * MS, &r));
  printf("fast: %d\n", RESULT_INT(r));
  weft_detach(t);

  CHECK(weft_spawn(&t, inner, NULL));
  CHECK(weft_spawn(&o, outer, t));
  CHECK(weft_sleep_ms(10));
  CHECK(weft_cancel(o));
  if (weft_await(o, NULL) == -ECANCELED)
    printf("outer task cancelled: %s\n",
           PYBOOL(weft_task_state_of(o) == WEFT_TASK_CANCELLED));
  printf("inner done yet: %s\n",
         PYBOOL(weft_task_state_of(t) != WEFT_TASK_PENDING));
  CHECK(weft_await(t, &r));
  printf("inner result: %d\n", RESULT_INT(r));
  weft_detach(o);
  weft_detach(t);
  return 0;
}

int main(void) { return conformance_run(main_task); }
