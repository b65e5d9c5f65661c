/*
 * bench/micro/exec.c: the executors' round trips (issue 7), driven by
 * bench/micro/exec_shim.cc. Each body runs one weft_run (one worker), warms
 * up, and returns the wall time of `iters` operations measured inside it:
 *  - bench_to_thread: weft_to_thread of an empty function, awaited (a pool
 *    thread already exists after the warm-up);
 *  - bench_procpool: weft_procpool_run of a job that returns its input, with
 *    `size` bytes each way (one worker process; inline up to 32 KiB, a
 *    sealed memfd each way above).
 */
#include "exec_bodies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

static int job_echo(const void *in, size_t len, void **out, size_t *out_len) {
  if (!len)
    return 0;
  *out = malloc(len);
  if (!*out)
    return -12;
  memcpy(*out, in, len);
  *out_len = len;
  return 0;
}
WEFT_JOB(bench_echo, job_echo)

typedef struct run {
  uint64_t iters;
  size_t size;
  uint64_t ns;
} run;

static void fail(const char *what, int err) {
  fprintf(stderr, "bench_exec: %s: %s\n", what, weft_strerror(err));
  abort();
}

static int empty(void *arg, void **result) {
  (void)arg;
  (void)result;
  return 0;
}

static int to_thread_main(void *arg, void **result) {
  (void)result;
  run *r = arg;
  for (int i = 0; i < 100; i++)
    if (weft_to_thread(empty, NULL, NULL, NULL))
      fail("to_thread", -1);
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < r->iters; i++) {
    int err = weft_to_thread(empty, NULL, NULL, NULL);
    if (err)
      fail("to_thread", err);
  }
  r->ns = (uint64_t)(weft_now_ns() - t0);
  return 0;
}

static int procpool_main(void *arg, void **result) {
  (void)result;
  run *r = arg;
  char *buf = malloc(r->size ? r->size : 1);
  memset(buf, 'x', r->size);
  for (int i = 0; i < 10; i++) { /* starts the pool */
    void *out = NULL;
    int err = weft_procpool_run("bench_echo", buf, r->size, &out, NULL, -1);
    if (err)
      fail("procpool", err);
    free(out);
  }
  int64_t t0 = weft_now_ns();
  for (uint64_t i = 0; i < r->iters; i++) {
    void *out = NULL;
    size_t len = 0;
    int err = weft_procpool_run("bench_echo", buf, r->size, &out, &len, -1);
    if (err || len != r->size)
      fail("procpool", err ? err : -5);
    free(out);
  }
  r->ns = (uint64_t)(weft_now_ns() - t0);
  free(buf);
  return 0;
}

static uint64_t go(weft_fn fn, run *r) {
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1;
  cfg.procpool_workers = 1;
  int err = weft_run(&cfg, fn, r, NULL);
  if (err)
    fail("weft_run", err);
  return r->ns;
}

uint64_t bench_to_thread(uint64_t iters) {
  run r = {.iters = iters};
  return go(to_thread_main, &r);
}

uint64_t bench_procpool(uint64_t iters, size_t size) {
  run r = {.iters = iters, .size = size};
  return go(procpool_main, &r);
}
