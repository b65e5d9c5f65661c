/* rt/debug.c: the switch hooks and debug mode's reports (see rt/debug.h). */
#include "rt/debug.h"

#include <stdio.h>
#include <string.h>

#include "rt/alloc.h"
#include "rt/trace.h"

#define PATTERN 0xa5
#define KEEP_CLEAR 256 /* the top of the stack, written by weft__ctx_make */

/* ---- slices ------------------------------------------------------------- */

/* The seqlock's writer side (see rt/debug.h): odd while writing. The data
 * are stored with release, so a reader that sees new data (acquire) sees
 * the odd sequence too; the release store of the even value publishes the
 * data. (No standalone fences: TSan does not model them.) Pairs with
 * weft__debug_check_slow. */
static void slice_publish(weft__worker *w, weft_task *t, int64_t start) {
  weft__store_relaxed(&w->slice_seq, w->slice_seq + 1);
  weft__store_release(&w->slice_start, start);
  weft__store_release(&w->slice_task, t);
  weft__store_release(&w->slice_seq, w->slice_seq + 1);
}

void weft__debug_slice_begin(weft__worker *w) {
  weft_task *t = w->current;
  weft__store_relaxed(&t->worker, (int16_t)w->index);
  if (!w->rt->cfg.debug && !w->trace)
    return;
  int64_t now = weft_now_ns();
  w->prev_slice_task = w->slice_task; /* its end is still to come, but */
  w->prev_slice_start = w->slice_start;
  w->prev_slice_end = now; /* it stopped running now */
  if (w->rt->cfg.debug) {
    slice_publish(w, t, now);
  } else { /* owner only without a monitor reading them */
    w->slice_task = t;
    w->slice_start = now;
  }
}

void weft__debug_slice_end(weft__worker *w, const weft_task *t) {
  if (!w->rt->cfg.debug && !w->trace)
    return;
  int64_t start;
  int64_t ran;
  bool current = t == w->slice_task;
  if (current) {
    start = w->slice_start;
    ran = weft_now_ns() - start;
  } else if (t == w->prev_slice_task) { /* ended after a direct switch */
    start = w->prev_slice_start;
    ran = w->prev_slice_end - start;
    w->prev_slice_task = NULL;
  } else {
    return; /* an eager spawner's slice, already ended by its child's */
  }
  WEFT__TRACE_SLICE(w, t, start, ran);
  if (current) {
    if (w->rt->cfg.debug)
      slice_publish(w, NULL, start);
    else
      w->slice_task = NULL;
  }
  if (!w->rt->cfg.debug || (double)ran < w->rt->cfg.slow_task_seconds * 1e9)
    return;
  char what[200];
  weft__task_describe(t, what, sizeof what);
  fprintf(stderr,
          "weft: debug: %s ran %.3f s without suspending, blocking its "
          "worker (threshold %.3f s)\n",
          what, (double)ran / 1e9, w->rt->cfg.slow_task_seconds);
}

void weft__debug_check_slow(weft__worker *w, int64_t now, uint64_t *reported) {
  weft__runtime *rt = w->rt;
  uint64_t seq = weft__load_acquire(&w->slice_seq);
  if ((seq & 1) || seq == *reported)
    return;
  /* Acquire: the sequence loaded after them is at least as new as the
   * writer's odd store before the data they saw. */
  weft_task *t = weft__load_acquire(&w->slice_task);
  int64_t start = weft__load_acquire(&w->slice_start);
  if (!t || weft__load_relaxed(&w->slice_seq) != seq)
    return;
  int64_t ran = now - start;
  if ((double)ran < rt->cfg.slow_task_seconds * 1e9)
    return;
  char what[200];
  weft__registry_lock_all(rt);
  /* Unchanged under the locks: t is still in this slice, so still in the
   * registry, which it cannot leave while we hold them. */
  bool same = weft__load_acquire(&w->slice_seq) == seq;
  if (same)
    weft__task_describe(t, what, sizeof what);
  weft__registry_unlock_all(rt);
  if (!same)
    return;
  *reported = seq;
  fprintf(stderr,
          "weft: debug: %s has held worker %d for %.3f s without "
          "suspending (threshold %.3f s), and is still running\n",
          what, w->index, (double)ran / 1e9, rt->cfg.slow_task_seconds);
}

/* ---- stacks ------------------------------------------------------------- */

void weft__debug_stack_fill(const weft_task *t) {
  if (!t->rt->cfg.debug)
    return;
  memset(t->stack.lo, PATTERN, t->stack.size - KEEP_CLEAR);
}

void weft__debug_stack_check(const weft_task *t) {
  if (!t->rt->cfg.debug)
    return;
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

/* ---- handles ------------------------------------------------------------ */

/* One per tracked handle, in the runtime's list (under its lock). */
typedef struct weft__debug_handle {
  struct weft__debug_handle *prev, *next;
  weft_task *task;
  uint32_t awaited; /* atomic */
} weft__debug_handle;

typedef struct handle_list {
  weft__spinlock lock;
  weft__debug_handle *head;
} handle_list;

static handle_list *list_of(weft__runtime *rt) {
  return (handle_list *)weft__load_acquire(&rt->debug_handles);
}

void weft__debug_track_handle(weft_task *t) {
  handle_list *l = list_of(t->rt);
  weft__debug_handle *h = l ? weft__calloc(sizeof *h) : NULL;
  if (!h)
    return; /* not tracked: nothing reported for it */
  h->task = t;
  weft__spin_lock(&l->lock);
  h->next = l->head;
  if (l->head)
    l->head->prev = h;
  l->head = h;
  weft__spin_unlock(&l->lock);
  weft__store_release(&t->dbg, h);
}

void weft__debug_awaited(weft_task *t) {
  weft__store_relaxed(&t->dbg->awaited, 1u);
}

void weft__debug_detached(weft_task *t) {
  handle_list *l = list_of(t->rt);
  weft__debug_handle *h = t->dbg;
  weft__spin_lock(&l->lock);
  if (h->prev)
    h->prev->next = h->next;
  else
    l->head = h->next;
  if (h->next)
    h->next->prev = h->prev;
  weft__spin_unlock(&l->lock);
  t->dbg = NULL;
  weft__free(h, sizeof *h);
}

int weft__debug_handles_init(weft__runtime *rt) {
  handle_list *l = weft__calloc(sizeof *l);
  if (!l)
    return -1;
  l->lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
  rt->debug_handles = l;
  return 0;
}

void weft__debug_report_handles(weft__runtime *rt, bool report) {
  handle_list *l = list_of(rt);
  if (!l)
    return;
  for (weft__debug_handle *h = l->head, *next; h; h = next) {
    next = h->next;
    if (report && !h->awaited) {
      char what[200];
      weft__task_describe(h->task, what, sizeof what);
      fprintf(stderr,
              "weft: debug: %s was neither awaited nor detached: call "
              "weft_await or weft_detach on its handle\n",
              what);
    }
    weft_task *t = h->task;
    t->dbg = NULL;
    weft__free(h, sizeof *h);
    /* Handles are invalid once the runtime ends: release what the leaked
     * handle held. A task still registered is a straggler, which
     * runtime_free frees itself. */
    if (weft__load_acquire(&t->state) & WEFT__T_DONE)
      weft__task_unref(t);
  }
  weft__free(l, sizeof *l);
  rt->debug_handles = NULL;
}
