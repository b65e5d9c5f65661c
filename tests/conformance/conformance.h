/*
 * conformance.h: what every conformance case shares. CHECK() for calls that
 * must succeed, and conformance_run(), which plays asyncio.run(main()) on one
 * worker, the configuration in which weft reproduces asyncio's order.
 * Output goes through printf from tasks only; stdout is line buffered so
 * every line is out before a crash.
 */
#ifndef WEFT_CONFORMANCE_H
#define WEFT_CONFORMANCE_H

#include <weft.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                            \
  do {                                                                         \
    int check_rc_ = (call);                                                    \
    if (check_rc_ < 0) {                                                       \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,            \
              weft_strerror(check_rc_));                                       \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Python's print(bool). */
#define PYBOOL(cond) ((cond) ? "True" : "False")

/* A task's int result, carried in its void * result. */
#define INT_RESULT(v) ((void *)(intptr_t)(v))
#define RESULT_INT(p) ((int)(intptr_t)(p))

static inline int conformance_run(weft_fn main_task) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  weft_config cfg;
  weft_config_init(&cfg);
  cfg.workers = 1;
  int rc = weft_run(&cfg, main_task, NULL, NULL);
  if (rc != 0) {
    fprintf(stderr, "weft_run: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}

#endif /* WEFT_CONFORMANCE_H */
