/* Mirrors nested_spawns.py: a task that spawns tasks runs on until it
 * suspends; its children then run in spawn order, a generation per round. */
#include "conformance.h"

static int grandchild(void *arg, void **result) {
  (void)result;
  printf("grandchild %s runs\n", (const char *)arg);
  return 0;
}

static int child(void *arg, void **result) {
  (void)result;
  const char *name = arg;
  char gname[16];
  snprintf(gname, sizeof gname, "%s.1", name);
  printf("child %s starts\n", name);
  weft_task *g;
  CHECK(weft_spawn(&g, grandchild, gname));
  printf("child %s created %s.1\n", name, name);
  CHECK(weft_await(g, NULL));
  weft_detach(g);
  printf("child %s ends\n", name);
  return 0;
}

static int parent(void *arg, void **result) {
  (void)arg, (void)result;
  printf("parent starts\n");
  weft_task *c1, *c2;
  CHECK(weft_spawn(&c1, child, "1"));
  CHECK(weft_spawn(&c2, child, "2"));
  printf("parent created 1 and 2\n");
  CHECK(weft_await(c1, NULL));
  CHECK(weft_await(c2, NULL));
  weft_detach(c1);
  weft_detach(c2);
  printf("parent ends\n");
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *p;
  CHECK(weft_spawn(&p, parent, NULL));
  printf("main created parent\n");
  CHECK(weft_await(p, NULL));
  weft_detach(p);
  printf("main done\n");
  return 0;
}

int main(void) { return conformance_run(main_task); }
