/* Mirrors gather_first_error.py: weft_gather() without WEFT_GATHER_ALL
 * returns at the first failure; the other tasks keep running. */
#include "conformance.h"

#include <errno.h>
#include <string.h>

struct job {
  int i, ms;
};

static int ok(void *arg, void **result) {
  struct job *j = arg;
  CHECK(weft_sleep_ms(j->ms));
  printf("task %d succeeds\n", j->i);
  *result = INT_RESULT(j->ms);
  return 0;
}

static int fail(void *arg, void **result) {
  (void)result;
  struct job *j = arg;
  CHECK(weft_sleep_ms(j->ms));
  printf("task %d fails\n", j->i);
  return -EIO;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  struct job slow_job = {0, 30}, bad_job = {1, 10};
  weft_task *tasks[2];
  CHECK(weft_spawn(&tasks[0], ok, &slow_job));
  CHECK(weft_spawn(&tasks[1], fail, &bad_job));
  weft_task *slow = tasks[0], *bad = tasks[1];
  int rc = weft_gather(tasks, 2, NULL, NULL, 0);
  if (rc < 0)
    printf("main: gather raised: %s\n", strerror(-rc));
  printf("main: slow still running: %s\n",
         PYBOOL(weft_task_state_of(slow) == WEFT_TASK_PENDING));
  void *r;
  CHECK(weft_await(slow, &r));
  printf("main: slow returned %d\n", RESULT_INT(r));
  weft_detach(slow);
  weft_detach(bad);
  return 0;
}

int main(void) { return conformance_run(main_task); }
