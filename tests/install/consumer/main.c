/*
 * An outside program, built against an installed weft: it sees only
 * <weft.h>. The main task spawns a child, awaits it and prints its result.
 */
#include <stdint.h>
#include <stdio.h>

#include <weft.h>

static int child(void *arg, void **result) {
  intptr_t n = (intptr_t)arg;
  int rc = weft_sleep_ms(1);
  if (rc != 0)
    return rc;
  *result = (void *)(n * 2);
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)arg;
  (void)result;
  weft_task *t = NULL;
  int rc = weft_spawn(&t, child, (void *)(intptr_t)21);
  if (rc != 0) {
    printf("spawn: %s\n", weft_strerror(rc));
    return rc;
  }
  void *value = NULL;
  rc = weft_await(t, &value);
  weft_detach(t);
  if (rc != 0) {
    printf("await: %s\n", weft_strerror(rc));
    return rc;
  }
  printf("child returned %ld\n", (long)(intptr_t)value);
  return 0;
}

int main(void) {
  int rc = weft_run(NULL, main_task, NULL, NULL);
  printf("weft_run returned %d\n", rc);
  return rc == 0 ? 0 : 1;
}
