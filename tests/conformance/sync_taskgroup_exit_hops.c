/* Mirrors sync_taskgroup_exit_hops.py: where a group's exit resumes, in loop
 * hops, shown by a task that prints once a hop; the child finishes in the
 * batch in which the owner reaches the exit (a), two batches before it (b),
 * or is still running at the exit (c). */
#include "conformance.h"

struct child {
  char name[16];
  int yields;
};

static int child(void *arg, void **result) {
  (void)result;
  struct child *c = arg;
  for (int i = 0; i < c->yields; i++)
    CHECK(weft_yield());
  printf("%s\n", c->name);
  return 0;
}

static int other(void *arg, void **result) {
  (void)result;
  const char *tag = arg;
  for (int i = 0; i < 6; i++) {
    printf("%s%d\n", tag, i);
    CHECK(weft_yield());
  }
  return 0;
}

static void run_case(const char *tag, int body_yields, int child_yields) {
  weft_task *o;
  CHECK(weft_spawn(&o, other, (void *)tag));
  struct child c = {.yields = child_yields};
  snprintf(c.name, sizeof c.name, "%s-child", tag);
  weft_group *g;
  CHECK(weft_group_new(&g));
  CHECK(weft_group_spawn(g, NULL, child, &c));
  for (int i = 0; i < body_yields; i++)
    CHECK(weft_yield());
  printf("%s-body-end\n", tag);
  CHECK(weft_group_exit(g, 0));
  CHECK(weft_group_free(g));
  printf("%s-after\n", tag);
  CHECK(weft_await(o, NULL));
  weft_detach(o);
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  run_case("a", 1, 0);
  run_case("b", 2, 0);
  run_case("c", 0, 2);
  return 0;
}

int main(void) { return conformance_run(main_task); }
