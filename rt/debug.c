/* rt/debug.c: debug mode's reports (see rt/debug.h). */
#include "rt/debug.h"

#include <stdio.h>
#include <string.h>

#define PATTERN 0xa5
#define KEEP_CLEAR 256 /* the top of the stack, written by weft__ctx_make */

void weft__debug_slice_begin(weft__worker *w) {
  w->slice_start = weft_now_ns();
}

void weft__debug_slice_end(weft__worker *w, const weft_task *t) {
  int64_t ran = weft_now_ns() - w->slice_start;
  if ((double)ran < w->rt->cfg.slow_task_seconds * 1e9)
    return;
  char what[200];
  weft__task_describe(t, what, sizeof what);
  fprintf(stderr,
          "weft: debug: %s ran %.3f s without suspending, blocking its "
          "worker (threshold %.3f s)\n",
          what, (double)ran / 1e9, w->rt->cfg.slow_task_seconds);
}

void weft__debug_stack_fill(const weft_task *t) {
  memset(t->stack.lo, PATTERN, t->stack.size - KEEP_CLEAR);
}

void weft__debug_stack_check(const weft_task *t) {
  const unsigned char *p = (const unsigned char *)t->stack.lo;
  size_t untouched = 0;
  while (untouched < t->stack.size - KEEP_CLEAR && p[untouched] == PATTERN)
    untouched++;
  size_t used = t->stack.size - untouched;
  if (used * 4 <= t->stack.size * 3)
    return;
  char what[200];
  weft__task_describe(t, what, sizeof what);
  fprintf(stderr,
          "weft: debug: %s used %zu of its %zu-byte stack (%.0f%%); give it "
          "more with weft_spawn_opts.stack_size\n",
          what, used, t->stack.size,
          100.0 * (double)used / (double)t->stack.size);
}

void weft__debug_pending(const weft_task *t) {
  char what[200];
  weft__task_describe(t, what, sizeof what);
  fprintf(stderr,
          "weft: debug: %s was still pending when the main task returned; "
          "shutdown cancels it\n",
          what);
}
