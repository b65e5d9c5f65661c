/* Mirrors spawn_before_wake.py: a task spawns a task and then ends; the new
 * task was queued before its awaiter's wake-up, so it runs first. */
#include "conformance.h"

static int z(void *arg, void **result) {
  (void)arg, (void)result;
  printf("z runs\n");
  return 0;
}

static int y(void *arg, void **result) {
  (void)arg;
  printf("y creates z\n");
  weft_task *zt;
  CHECK(weft_spawn(&zt, z, NULL));
  printf("y returns\n");
  *result = zt;
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg, (void)result;
  weft_task *t;
  CHECK(weft_spawn(&t, y, NULL));
  void *zt;
  CHECK(weft_await(t, &zt));
  printf("main resumes\n");
  CHECK(weft_await(zt, NULL));
  printf("main done\n");
  weft_detach(zt);
  weft_detach(t);
  return 0;
}

int main(void) { return conformance_run(main_task); }
