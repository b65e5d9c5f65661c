/* Mirrors cancel_wakes.py: cancelled sleeping tasks wake in the order they
 * were cancelled, once the canceller suspends. */
#include "conformance.h"

#include <errno.h>

static int sleeper(void *arg, void **result) {
  (void)result;
  int i = RESULT_INT(arg);
  printf("sleeper %d sleeps\n", i);
  int rc = weft_sleep_ms(10000);
  if (rc == -ECANCELED)
    printf("sleeper %d cancelled\n", i);
  return rc;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *tasks[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&tasks[i], sleeper, INT_RESULT(i)));
  CHECK(weft_yield());
  for (int i = 0; i < 3; i++)
    CHECK(weft_cancel(tasks[i]));
  printf("main cancelled all three\n");
  int st[3];
  CHECK(weft_gather(tasks, 3, NULL, st, WEFT_GATHER_ALL));
  printf("cancelled: [%s, %s, %s]\n", PYBOOL(st[0] == -ECANCELED),
         PYBOOL(st[1] == -ECANCELED), PYBOOL(st[2] == -ECANCELED));
  for (int i = 0; i < 3; i++)
    weft_detach(tasks[i]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
