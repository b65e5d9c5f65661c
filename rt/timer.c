/* rt/timer.c: the deadline heap (see rt/timer.h for the design). */
#include "rt/timer.h"

#include <errno.h>

#include "rt/atomic.h"

#include "rt/alloc.h"

void weft__timers_init(weft__timers *h) {
  *h = (weft__timers){0};
  h->lock = (weft__spinlock)WEFT__SPINLOCK_INIT;
}

static void mirror(weft__timers *h) {
  weft__store_relaxed(&h->armed, (uint32_t)h->len);
}

void weft__timers_fini(weft__timers *h) {
  for (size_t i = 0; i < h->len; i++)
    weft__task_unref(h->heap[i].task);
  weft__free(h->heap, h->cap * sizeof *h->heap);
  *h = (weft__timers){0};
}

static bool before(const weft__timer *a, const weft__timer *b) {
  return a->deadline < b->deadline ||
         (a->deadline == b->deadline && a->seq < b->seq);
}

static void sift_up(weft__timer *v, size_t i) {
  weft__timer x = v[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&x, &v[parent]))
      break;
    v[i] = v[parent];
    i = parent;
  }
  v[i] = x;
}

static void sift_down(weft__timer *v, size_t n, size_t i) {
  weft__timer x = v[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && before(&v[c + 1], &v[c]))
      c++;
    if (!before(&v[c], &x))
      break;
    v[i] = v[c];
    i = c;
  }
  v[i] = x;
}

static bool stale(const weft__timer *e) {
  return weft__load_acquire(&e->task->timer_gen) != e->gen;
}

/* Drops tombstones and re-heapifies. */
static void rebuild(weft__timers *h) {
  size_t n = 0;
  for (size_t i = 0; i < h->len; i++) {
    if (stale(&h->heap[i]))
      weft__task_unref(h->heap[i].task);
    else
      h->heap[n++] = h->heap[i];
  }
  h->len = n;
  mirror(h);
  for (size_t i = n / 2; i-- > 0;)
    sift_down(h->heap, n, i);
  weft__store_relaxed(&h->cancelled, 0u);
}

int weft__timers_add(weft__timers *h, int64_t deadline, weft_task *t,
                     uint32_t gen) {
  weft__spin_lock(&h->lock);
  if (weft__load_relaxed(&h->cancelled) > h->len / 2 && h->len >= 64)
    rebuild(h);
  if (h->len == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    weft__timer *v =
        weft__realloc(h->heap, h->cap * sizeof *v, cap * sizeof *v);
    if (!v) {
      weft__spin_unlock(&h->lock);
      return -ENOMEM;
    }
    h->heap = v;
    h->cap = cap;
  }
  weft__task_ref(t);
  h->heap[h->len] = (weft__timer){
      .deadline = deadline, .seq = h->seq++, .task = t, .gen = gen};
  sift_up(h->heap, h->len++);
  mirror(h);
  weft__spin_unlock(&h->lock);
  return 0;
}

int64_t weft__timers_next(const weft__timers *h) {
  weft__spinlock *lock = (weft__spinlock *)&h->lock; /* logically const */
  weft__spin_lock(lock);
  int64_t next = h->len ? h->heap[0].deadline : INT64_MAX;
  weft__spin_unlock(lock);
  return next;
}

size_t weft__timers_run(weft__timers *h, int64_t now, bool try_only, size_t max,
                        void (*fire)(weft_task *t, void *ctx), void *ctx) {
  if (try_only) {
    if (!weft__spin_trylock(&h->lock))
      return 0;
  } else {
    weft__spin_lock(&h->lock);
  }
  size_t fired = 0;
  while (fired < max && h->len && h->heap[0].deadline <= now) {
    weft__timer e = h->heap[0];
    h->heap[0] = h->heap[--h->len];
    if (h->len)
      sift_down(h->heap, h->len, 0);
    /* Claims the task's timer: pairs with the fetch-add a canceller does;
     * exactly one of the two wins the generation. */
    if (ck_pr_cas_32(&e.task->timer_gen, e.gen, e.gen + 1)) {
      fire(e.task, ctx);
      fired++;
    }
    weft__task_unref(e.task);
  }
  mirror(h);
  weft__spin_unlock(&h->lock);
  return fired;
}

void weft__timers_note_cancel(weft__timers *h) { ck_pr_inc_32(&h->cancelled); }
