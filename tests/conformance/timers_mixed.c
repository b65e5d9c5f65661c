/* Mirrors timers_mixed.py: timers fire in deadline order whatever order they
 * were armed in; a zero sleep is a yield and comes first. */
#include "conformance.h"

struct sleeper {
  const char *name;
  int ms;
};

static int sleeper(void *arg, void **result) {
  (void)result;
  struct sleeper *s = arg;
  CHECK(weft_sleep_ms(s->ms));
  printf("%s woke after %d ms\n", s->name, s->ms);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  struct sleeper sleepers[] = {{"a", 300}, {"b", 100}, {"c", 200}, {"d", 0}};
  weft_task *tasks[4];
  for (int i = 0; i < 4; i++)
    CHECK(weft_spawn(&tasks[i], sleeper, &sleepers[i]));
  CHECK(weft_gather(tasks, 4, NULL, NULL, 0));
  printf("main done\n");
  for (int i = 0; i < 4; i++)
    weft_detach(tasks[i]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
