/* Mirrors sync_wait_as_completed.py: weft_wait with FIRST_EXCEPTION and
 * ALL_COMPLETED, and as_completed in finishing order. */
#include <errno.h>

#include "conformance.h"

struct job {
  const char *name;
  int delay_ms;
  bool fail;
};

static int job(void *arg, void **result) {
  struct job *j = arg;
  CHECK(weft_sleep_ms(j->delay_ms));
  if (j->fail)
    return -EINVAL;
  *result = (void *)j->name;
  return 0;
}

static void print_done(const char *what, const bool *done, int n) {
  printf("%s: done [", what);
  for (int i = 0; i < n; i++)
    printf("%s%s", i ? ", " : "", PYBOOL(done[i]));
  printf("]");
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  static struct job js[] = {
      {"a", 10, false}, {"b", 80, true}, {"c", 200, false}};
  weft_task *ts[3];
  bool done[3];
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&ts[i], job, &js[i]));
  CHECK(weft_wait(ts, 3, WEFT_FIRST_EXCEPTION, done));
  print_done("first exception", done, 3);
  printf("\n");
  int n = weft_wait(ts, 3, WEFT_ALL_COMPLETED, done);
  CHECK(n);
  print_done("all completed", done, 3);
  printf(" %d\n", 3 - n);
  for (int i = 0; i < 3; i++)
    weft_detach(ts[i]);

  static struct job us[] = {
      {"x", 200, false}, {"y", 10, false}, {"z", 100, false}};
  for (int i = 0; i < 3; i++)
    CHECK(weft_spawn(&ts[i], job, &us[i]));
  weft_as_completed *ac;
  CHECK(weft_as_completed_new(&ac, ts, 3));
  weft_task *t;
  while (weft_as_completed_next(ac, &t) == 0) {
    void *r;
    CHECK(weft_await(t, &r));
    printf("completed %s\n", (const char *)r);
  }
  weft_as_completed_free(ac);
  for (int i = 0; i < 3; i++)
    weft_detach(ts[i]);
  return 0;
}

int main(void) { return conformance_run(main_task); }
