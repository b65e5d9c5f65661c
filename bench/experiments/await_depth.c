/*
 * bench/experiments/await_depth.c: spawn+await of an empty task, with the
 * await made DEPTH calls deeper than the loop, one worker: what the
 * awaiter's own call chain costs when the finished task wakes it
 * (rt/ctx.h, the return stack buffer; bench/findings-spawn-await-4.md).
 * Standalone, so that it links against any commit's libweft.a:
 *
 *   cc -O2 -std=c17 -Iinclude bench/experiments/await_depth.c \
 *     BUILD/libweft.a $(pkg-config --libs jemalloc hwloc ck) -lpthread \
 *     -o /tmp/await_depth
 *   /tmp/await_depth DEPTH N      # prints ns per spawn+await
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static int depth;
static uint64_t iters;

static int empty_fn(void *arg, void **result) {
  (void)arg;
  (void)result;
  return 0;
}

/* The empty asm after the call keeps it a call, not a jump. */
static __attribute__((noinline)) int
await_at(weft_task *t, int d) { // NOLINT(misc-no-recursion)
  if (d == 0)
    return weft_await(t, NULL);
  int err = await_at(t, d - 1);
  __asm__ volatile("");
  return err;
}

static int main_task(void *arg, void **result) {
  (void)arg;
  (void)result;
  for (int round = 0; round < 2; round++) { /* the first warms up */
    int64_t t0 = weft_now_ns();
    for (uint64_t i = 0; i < iters; i++) {
      weft_task *t;
      if (weft_spawn(&t, empty_fn, NULL) != 0 || await_at(t, depth) != 0)
        abort();
      weft_detach(t);
    }
    if (round == 1)
      printf("%.2f\n", (double)(weft_now_ns() - t0) / (double)iters);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: await_depth DEPTH N\n");
    return 2;
  }
  depth = atoi(argv[1]);
  iters = strtoull(argv[2], NULL, 10);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1;
  return weft_run(&cfg, main_task, NULL, NULL) == 0 ? 0 : 1;
}
