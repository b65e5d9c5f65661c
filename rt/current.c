/* rt/current.c: the thread-local current worker (see rt/current.h). */
#include "rt/current.h"

#include "rt/common.h"

static _Thread_local struct weft__worker *current_worker;

WEFT_NOINLINE struct weft__worker *weft__worker_current(void) {
  return current_worker;
}

WEFT_NOINLINE void weft__worker_set_current(struct weft__worker *w) {
  current_worker = w;
}
