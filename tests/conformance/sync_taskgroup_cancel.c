/* Mirrors sync_taskgroup_cancel.py: the first failing child cancels the
 * other children and the body; leaving the group awaits all; the failure
 * is reported. The ValueError of child b is -EINVAL here. */
#include <errno.h>

#include "conformance.h"

struct child {
  const char *name;
  int delay_ms;
  bool fail;
};

static int child(void *arg, void **result) {
  struct child *c = arg;
  int rc = weft_sleep_ms(c->delay_ms);
  if (rc == -ECANCELED) {
    printf("%s cancelled\n", c->name);
    return rc;
  }
  if (c->fail) {
    printf("%s fails\n", c->name);
    return -EINVAL;
  }
  printf("%s done\n", c->name);
  *result = (void *)c->name;
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  static struct child a = {"a", 10, false}, b = {"b", 80, true},
                      c = {"c", 1000, false};
  weft_group *g;
  CHECK(weft_group_new(&g));
  CHECK(weft_group_spawn(g, NULL, child, &a));
  CHECK(weft_group_spawn(g, NULL, child, &b));
  CHECK(weft_group_spawn(g, NULL, child, &c));
  int body = weft_sleep_ms(2000);
  if (body == -ECANCELED)
    printf("body cancelled\n");
  int rc = weft_group_exit(g, body);
  int codes[4];
  size_t n = weft_group_failures(g, codes, 4);
  if (rc == -EINVAL && n == 1 && codes[0] == -EINVAL)
    printf("errors: ['b']\n");
  CHECK(weft_group_free(g));
  printf("after group\n");

  static struct child x = {"x", 80, false}, y = {"y", 10, false};
  weft_task *t1, *t2;
  CHECK(weft_group_new(&g));
  CHECK(weft_group_spawn(g, &t1, child, &x));
  CHECK(weft_group_spawn(g, &t2, child, &y));
  CHECK(weft_group_exit(g, 0));
  void *r1, *r2;
  CHECK(weft_await(t1, &r1));
  CHECK(weft_await(t2, &r2));
  printf("results: %s %s\n", (const char *)r1, (const char *)r2);
  CHECK(weft_group_free(g));
  return 0;
}

int main(void) { return conformance_run(main_task); }
