/*
 * sync/as_completed.c: asyncio.as_completed over task handles. Keeps the
 * tasks not returned yet; next() returns, among those that have finished,
 * the one that finished first (rt's finish_seq), and if none has, waits
 * with weft_wait(FIRST_COMPLETED) over them (rt/waitset.c) and looks again.
 */
#include <string.h>

#include "sync/sync.h"

struct weft_as_completed {
  size_t n;   /* tasks not returned yet, in tasks[0..n) */
  size_t cap; /* n at the start */
  weft_task *tasks[];
};

int weft_as_completed_new(weft_as_completed **out, weft_task *const *tasks,
                          size_t n) {
  if (!out || (n > 0 && !tasks))
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!tasks[i])
      return -EINVAL;
  weft_as_completed *ac = weft__alloc(sizeof *ac + n * sizeof(weft_task *));
  if (!ac)
    return -ENOMEM;
  ac->n = ac->cap = n;
  if (n)
    memcpy(ac->tasks, tasks, n * sizeof(weft_task *));
  *out = ac;
  return 0;
}

static bool finished(const weft_task *t) {
  return weft__load_acquire(&t->state) & WEFT__T_DONE;
}

int weft_as_completed_next(weft_as_completed *ac, weft_task **t) {
  if (!ac || !t)
    return -EINVAL;
  if (ac->n == 0)
    return -ENOENT;
  for (;;) {
    size_t best = ac->n;
    for (size_t i = 0; i < ac->n; i++)
      if (finished(ac->tasks[i]) &&
          (best == ac->n ||
           ac->tasks[i]->finish_seq < ac->tasks[best]->finish_seq))
        best = i;
    if (best < ac->n) {
      *t = ac->tasks[best];
      memmove(&ac->tasks[best], &ac->tasks[best + 1],
              (ac->n - best - 1) * sizeof(weft_task *));
      ac->n--;
      return 0;
    }
    int rc = weft_wait(ac->tasks, ac->n, WEFT_FIRST_COMPLETED, NULL);
    if (rc < 0)
      return rc;
  }
}

void weft_as_completed_free(weft_as_completed *ac) {
  if (ac)
    weft__free(ac, sizeof *ac + ac->cap * sizeof(weft_task *));
}
