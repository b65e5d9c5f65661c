/*
 * examples/busy.c: a program that keeps every worker busy for a while, to
 * watch with tools/weft-top:
 *
 *   WEFT_TOP=/tmp/busy.sock ./busy 10 &   then   weft-top /tmp/busy.sock
 *
 * Runs for SECONDS (default 5): per worker, a few tasks that yield, spawn
 * short children and sleep a millisecond now and then, so switches, steals,
 * parks and timers all move. Public API only.
 */
#include <stdio.h>
#include <stdlib.h>

#include <weft.h>

static int64_t deadline;

static int child(void *arg, void **result) {
  (void)arg, (void)result;
  for (int i = 0; i < 10; i++)
    if (weft_yield() != 0)
      return 0;
  return 0;
}

static int worker_body(void *arg, void **result) {
  (void)arg, (void)result;
  for (unsigned i = 0; weft_now_ns() < deadline; i++) {
    weft_task *t;
    if (weft_spawn(&t, child, NULL) == 0)
      weft_detach(t);
    if (weft_yield() != 0)
      return 0;
    if (i % 64 == 0 && weft_sleep_ms(1) != 0)
      return 0;
  }
  return 0;
}

static int main_task(void *arg, void **result) {
  (void)result;
  double seconds = *(double *)arg;
  deadline = weft_now_ns() + (int64_t)(seconds * 1e9);
  int n = 4 * weft_worker_count();
  weft_task **t = calloc((size_t)n, sizeof(weft_task *));
  if (!t)
    return -1;
  int spawned = 0;
  for (; spawned < n; spawned++)
    if (weft_spawn(&t[spawned], worker_body, NULL) != 0)
      break;
  int err = weft_gather(t, (size_t)spawned, NULL, NULL, 0);
  for (int i = 0; i < spawned; i++)
    weft_detach(t[i]);
  free(t);
  return err;
}

int main(int argc, char **argv) {
  char *end = NULL;
  double seconds = argc > 1 ? strtod(argv[1], &end) : 5.0;
  if (!(seconds > 0) || (end && *end)) {
    fprintf(stderr, "usage: busy [SECONDS]\n");
    return 2;
  }
  int err = weft_run(NULL, main_task, &seconds, NULL);
  if (err) {
    fprintf(stderr, "busy: %s\n", weft_strerror(err));
    return 1;
  }
  return 0;
}
