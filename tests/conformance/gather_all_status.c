/* Mirrors gather_all_status.py: WEFT_GATHER_ALL (return_exceptions=True)
 * waits for every task and reports each one's status in argument order. */
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
  *result = INT_RESULT(j->i * 10);
  return 0;
}

static int fail(void *arg, void **result) {
  (void)result;
  struct job *j = arg;
  CHECK(weft_sleep_ms(j->ms));
  printf("task %d fails\n", j->i);
  return -EIO;
}

static int never(void *arg, void **result) {
  (void)result;
  struct job *j = arg;
  printf("task %d never runs\n", j->i);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  struct job jobs[] = {{0, 30}, {1, 10}, {2, 0}, {3, 20}};
  weft_fn fns[] = {ok, fail, never, ok};
  weft_task *tasks[4];
  for (int i = 0; i < 4; i++)
    CHECK(weft_spawn(&tasks[i], fns[i], &jobs[i]));
  CHECK(weft_cancel(tasks[2]));
  void *results[4];
  int statuses[4];
  CHECK(weft_gather(tasks, 4, results, statuses, WEFT_GATHER_ALL));
  for (int i = 0; i < 4; i++) {
    if (statuses[i] == -ECANCELED)
      printf("task %d: cancelled\n", i);
    else if (statuses[i] < 0)
      printf("task %d: failed: %s\n", i, strerror(-statuses[i]));
    else
      printf("task %d: ok, result %d\n", i, RESULT_INT(results[i]));
    weft_detach(tasks[i]);
  }
  return 0;
}

int main(void) { return conformance_run(main_task); }
